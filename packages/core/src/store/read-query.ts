/**
 * @module
 * A blocking read's query, the same for a channel's events (`EventStore.read`) and
 * a raw stream's entries (`RawStreams.read`).
 */

import type { Cursor } from '../types.js';

/** A blocking read: entries after `after`, waiting up to `blockMs` for the first one. */
export interface ReadQuery {
  readonly after: Cursor;
  /** 0 returns at once; there is no "forever" (use `signal` to cancel). */
  readonly blockMs: number;
  readonly limit: number;
  /** Aborting rejects the read with the signal's reason. */
  readonly signal?: AbortSignal;
  /** The events go to a transport to be framed (see `ReplayQuery.framed`). */
  readonly framed?: boolean;
}
