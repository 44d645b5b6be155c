/**
 * @module
 * The `RawStreams` interface: streams in a layout of their own, for what is not a
 * ReplayRail event: the commands and replies of `@replayrail/rpc` (clamator's wire),
 * another system's entries. A store that has them exposes them as `store.raw`, as
 * it exposes its consumer groups as `store.groups`. Entries keep their fields as
 * given, in their order; nothing is decoded, nothing checked for expiry.
 */

import type { Cursor } from '../types.js';
import type { ReadQuery } from './read-query.js';
import type { StreamRef } from './stream-ref.js';

/** An entry as stored: its ID and its fields. */
export interface RawStreamEntry {
  readonly id: Cursor;
  readonly fields: Readonly<Record<string, string>>;
}

/** How a raw entry is appended. */
export interface RawAppendOptions {
  /** Trim the stream to about this many entries (`MAXLEN ~`). */
  readonly maxLength?: number;
  /** Append only to a stream that exists (`NOMKSTREAM`): resolves to null when there is none. */
  readonly mustExist?: boolean;
}

/** Streams whose entries are fields in a layout of their own. */
export interface RawStreams {
  /** The key a stream is stored under: what another process is told (a reply-to). */
  keyOf(stream: StreamRef): string;
  /** The stream a key names under `prefix`, or undefined for a key of another prefix or shape. */
  streamOf(key: string, prefix: string): StreamRef | undefined;
  /** Appends one entry with these fields, in their order; resolves to its ID (null: `mustExist` and no stream). */
  append(
    stream: StreamRef,
    fields: Readonly<Record<string, string>>,
    options?: RawAppendOptions,
  ): Promise<Cursor | null>;
  /**
   * Entries after `query.after` (a cursor), oldest first, at most `query.limit`,
   * waiting up to `query.blockMs` for the first; an aborted read rejects with the
   * signal's reason.
   */
  read(stream: StreamRef, query: ReadQuery): Promise<RawStreamEntry[]>;
  /**
   * Makes the stream exist (empty, if it did not) and expire `ttlMs` from now; calling
   * it again renews that. A stream nobody keeps goes away by itself.
   */
  keep(stream: StreamRef, ttlMs: number): Promise<void>;
  /** Deletes the stream, if it exists. */
  delete(stream: StreamRef): Promise<void>;
}
