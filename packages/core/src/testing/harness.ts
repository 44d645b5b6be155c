import type { EventStore } from '../store/event-store.js';
import type { StreamRef } from '../store/stream-ref.js';
import type { Cursor } from '../types.js';

/**
 * What the conformance suite needs of a store under test: the store, and the few
 * raw operations that change history behind its back (the Redis commands XDEL,
 * DEL, XTRIM and XADD with arbitrary fields), so expiry and decoding are tested
 * against the real mechanism rather than a simulation of it.
 */
export interface StoreHarness {
  readonly store: EventStore;
  /** Removes entries by ID, like XDEL. */
  deleteEntries(stream: StreamRef, ids: readonly Cursor[]): Promise<void>;
  /** Deletes the whole stream, like DEL. */
  deleteStream(stream: StreamRef): Promise<void>;
  /** Trims to the newest `maxLength` entries exactly, like XTRIM MAXLEN =. */
  trim(stream: StreamRef, maxLength: number): Promise<void>;
  /** Appends an entry with exactly these fields, like XADD; returns its ID. */
  appendRaw(stream: StreamRef, fields: Readonly<Record<string, string>>): Promise<Cursor>;
  /**
   * Where an event_id is unique: across the store (the default, and the Python
   * layout), or per channel (a Redis Cluster store, whose idempotency records live
   * in their channel's slot). The suite checks the declared behaviour.
   */
  readonly eventIdScope?: 'store' | 'channel';
  /** Runs after each test, after the store was closed: delete everything under the test's prefix. */
  cleanup?(): Promise<void>;
}

/** Makes a fresh harness for one test; `prefix` is unique to that test. */
export type StoreHarnessFactory = (prefix: string) => Promise<StoreHarness>;
