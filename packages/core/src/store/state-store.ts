/**
 * @module
 * `StateStore`: the latest event of each key of a channel, kept by the store beside
 * the stream (docs/state.md). The append that stores an event of a keyed channel
 * updates its key in the same atomic step, so the state never disagrees with the
 * stream; trimming the stream never touches it. Read in pages, in key order, for
 * any number of keys in bounded memory.
 */

import type { Cursor, EventFields, StoredEvent } from '../types.js';
import type { StreamRef } from './stream-ref.js';

/** What an append does to the state: the event becomes its key's latest, or deletes the key. */
export interface StateChange {
  readonly key: string;
  /** The event is a tombstone: its key leaves the state. */
  readonly tombstone: boolean;
}

/** One key and its latest event. */
export interface StateEntry {
  readonly key: string;
  readonly event: StoredEvent;
}

/** A page of a channel's state. */
export interface StateQuery {
  /**
   * The cursor the snapshot is taken at: keys whose latest event is after it are
   * left out (the events after it carry them). Omitted on a first page: the store
   * takes the stream's last ID, atomically with that page.
   */
  readonly at?: Cursor;
  /** Keys after this one (exclusive), in the store's key order. */
  readonly afterKey?: string;
  readonly limit: number;
}

/** One page: entries in key order, the cursor it is taken at, and where the next page starts. */
export interface StatePage {
  readonly at: Cursor;
  readonly entries: readonly StateEntry[];
  /** The `afterKey` of the next page, or null after the last. */
  readonly nextKey: string | null;
}

/** A key's latest event as history has it, for a rebuild: applied only if newer than what the state holds. */
export interface StateUpdate {
  readonly key: string;
  readonly id: Cursor;
  /** The event's entry fields, or null for a tombstone. */
  readonly fields: EventFields | null;
}

/** The latest-per-key state of channels, as a store keeps it. */
export interface StateStore {
  /** One page of the channel's state, in key order. */
  page(stream: StreamRef, query: StateQuery): Promise<StatePage>;
  /** A key's latest event, or null when the state has no such key. */
  get(stream: StreamRef, key: string): Promise<StoredEvent | null>;
  /** How many keys the channel's state holds. */
  size(stream: StreamRef): Promise<number>;
  /**
   * Applies updates read from history, each only where the state holds an older
   * event for its key (or none, for an event): what a rebuild does, safe while
   * publishing goes on. Resolves to how many changed the state.
   */
  apply(stream: StreamRef, updates: readonly StateUpdate[]): Promise<number>;
}
