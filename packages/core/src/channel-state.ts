/**
 * @module
 * Reading and repairing a keyed channel's state (docs/state.md): snapshots, in pages
 * or as an iterator, each exact at a cursor; one key's latest event; the number of
 * keys; and the rebuild that recomputes the state from retained history after
 * writers that bypassed the append step (the Python library).
 *
 * Why a snapshot is exact at its cursor while publishing goes on: its first page is
 * read together with the stream's last ID (one atomic step in the store), and every
 * page leaves out keys whose latest event came after that cursor. A key changed
 * after the cursor is then carried by the events after it; a key deleted after it,
 * by its tombstone. The snapshot plus the events after its cursor is the state.
 */

import type { ResolvedConfig } from './config.js';
import { encodeEvent } from './envelope.js';
import { InvalidRequestError } from './errors.js';
import type { EventStore } from './store/event-store.js';
import type { StatePage, StateStore, StateUpdate } from './store/state-store.js';
import type { StreamRef } from './store/stream-ref.js';
import type { Telemetry } from './telemetry/telemetry.js';
import type { Cursor, StoredEvent } from './types.js';

/** A channel's snapshot: its events (the latest of each key, `snapshot: true`, in key order), read as iterated. */
export interface Snapshot extends AsyncIterable<StoredEvent> {
  readonly channel: string;
  /** The cursor it is exact at: the state is this snapshot plus the channel's events after it. */
  readonly cursor: Cursor;
}

/** One page of a snapshot. */
export interface SnapshotPage {
  /** The latest event of each key of this page, marked `snapshot: true`, in key order. */
  readonly events: StoredEvent[];
  /** The cursor the snapshot is exact at (pass it as `at` for the next page). */
  readonly cursor: Cursor;
  /** Pass as `afterKey` for the next page; null after the last page (go on after `cursor`). */
  readonly nextKey: string | null;
}

/** What `rebuildState` did. */
export interface RebuildReport {
  /** Retained events read. */
  readonly events: number;
  /** Keys the rebuild changed (set, replaced by a newer event, or deleted by a tombstone). */
  readonly changed: number;
  /** Keys the state holds after it. */
  readonly keys: number;
}

const marked = (page: StatePage): StoredEvent[] =>
  page.entries.map((entry): StoredEvent => ({ ...entry.event, snapshot: true }));

/** A rail's access to the state of its keyed channels. */
export class ChannelState {
  readonly #store: EventStore;
  readonly #config: Readonly<ResolvedConfig>;
  readonly #telemetry: Telemetry | undefined;

  constructor(store: EventStore, config: Readonly<ResolvedConfig>, telemetry?: Telemetry) {
    this.#store = store;
    this.#config = config;
    this.#telemetry = telemetry;
  }

  /** How many keys the channel's state holds (and the telemetry is told). */
  async size(stream: StreamRef): Promise<number> {
    const keys = await this.state(stream).size(stream);
    this.#telemetry?.stateKeys(stream.channel, keys);
    return keys;
  }

  /** The store's state, for a channel that keeps one; `InvalidRequestError` otherwise. */
  state(stream: StreamRef): StateStore {
    const state = this.#store.state;
    if (this.#config.channels.of(stream.channel).state === null || state === undefined) {
      throw new InvalidRequestError(
        `channel ${stream.channel} keeps no state: give it a policy with state in config.channels`,
        { context: { channel: stream.channel } },
      );
    }
    return state;
  }

  /** One page of the snapshot: the first (no `at`) fixes its cursor. */
  async page(stream: StreamRef, query: { at?: Cursor; afterKey?: string; limit: number }): Promise<SnapshotPage> {
    const page = await this.state(stream).page(stream, query);
    return { events: marked(page), cursor: page.at, nextKey: page.nextKey };
  }

  /** The whole snapshot, read page by page as it is iterated (its cursor fixed by the first page, read now). */
  async snapshot(stream: StreamRef, pageSize: number, signal?: AbortSignal): Promise<Snapshot> {
    const state = this.state(stream);
    const telemetry = this.#telemetry;
    const began = performance.now();
    const first = await state.page(stream, { limit: pageSize });
    return {
      channel: stream.channel,
      cursor: first.at,
      async *[Symbol.asyncIterator]() {
        let page = first;
        let events = 0;
        for (;;) {
          for (const event of marked(page)) {
            signal?.throwIfAborted();
            events++;
            yield event;
          }
          if (page.nextKey === null) {
            telemetry?.snapshotRead(stream.channel, events, (performance.now() - began) / 1000);
            return;
          }
          signal?.throwIfAborted();
          page = await state.page(stream, { at: first.at, afterKey: page.nextKey, limit: pageSize });
        }
      },
    };
  }

  /**
   * Applies the retained history of the channel to its state: each key's latest
   * event (or tombstone) in that history, only where it is newer than what the state
   * holds, so it is safe while publishing goes on, and a no-op on a state the append
   * step kept.
   */
  async rebuild(
    stream: StreamRef,
    history: AsyncIterable<StoredEvent>,
    pageSize: number,
    signal?: AbortSignal,
  ): Promise<RebuildReport> {
    const state = this.state(stream);
    const policy = this.#config.channels.of(stream.channel).state;
    if (policy === null) throw new Error('unreachable: state() checked the policy');
    // Events already stored are re-encoded as they are: no size limit refuses one.
    const limits = { ...this.#config.limits, maxEventBytes: Number.MAX_SAFE_INTEGER };
    // Each key's last word in the retained history first, then applied: applying
    // every event in turn would show, between batches, a key whose tombstone comes
    // later, and a snapshot taken then would keep it. Memory: one entry per key.
    let events = 0;
    const latest = new Map<string, StateUpdate>();
    for await (const event of history) {
      signal?.throwIfAborted();
      events++;
      let key: string | null;
      try {
        key = policy.keyOf(event);
      } catch {
        continue; // a key no publish through the rail would have stored: not state
      }
      if (key === null) continue;
      const tombstone = policy.tombstones.has(event.type);
      latest.set(key, { key, id: event.id, fields: tombstone ? null : encodeEvent(event, limits) });
    }
    let changed = 0;
    let batch: StateUpdate[] = [];
    for (const update of latest.values()) {
      batch.push(update);
      if (batch.length < pageSize) continue;
      signal?.throwIfAborted();
      changed += await state.apply(stream, batch);
      batch = [];
    }
    if (batch.length > 0) changed += await state.apply(stream, batch);
    return { events, changed, keys: await this.size(stream) };
  }
}
