/**
 * @module
 * The latest event of each key of keyed channels, in memory (`store.state`): what
 * the Redis store keeps in a hash and a sorted set beside the stream. The memory
 * store's append calls `change` in the same synchronous step as the append, so the
 * state never disagrees with the stream; trimming never touches it. Keys are paged
 * in code-unit order.
 */

import type { Cursor, StoredEvent } from '@replayrail/core';
import { compareCursors } from '@replayrail/core/cursor';
import type {
  DecodeOptions,
  StateChange,
  StatePage,
  StateQuery,
  StateStore,
  StateUpdate,
  StreamRef,
} from '@replayrail/core/store';
import { decodeEntry } from '@replayrail/core/store';

interface Latest {
  readonly id: Cursor;
  readonly fields: Readonly<Record<string, string>>;
}

interface ChannelKeys {
  readonly latest: Map<string, Latest>;
  /** The keys in order, made again on the first page after a key came or went. */
  sorted: string[] | null;
}

/** What the state needs from the store it belongs to. */
export interface MemoryStateHost {
  streamKey(stream: StreamRef): string;
  /** The stream's last generated ID (kept when trimming empties it), `0-0` when there is none. */
  lastGeneratedId(key: string): Cursor;
  assertOpen(): void;
  readonly decode: DecodeOptions;
}

// Index of the first key greater than `key` in sorted `keys`.
function indexAfter(keys: readonly string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((keys[mid] as string) > key) high = mid;
    else low = mid + 1;
  }
  return low;
}

export class MemoryState implements StateStore {
  readonly #host: MemoryStateHost;
  readonly #channels = new Map<string, ChannelKeys>();

  constructor(host: MemoryStateHost) {
    this.#host = host;
  }

  /** Applies an append's change: called by the store in the same step as the append. */
  change(key: string, change: StateChange, id: Cursor, fields: Readonly<Record<string, string>>): void {
    if (change.tombstone) this.#delete(key, change.key);
    else this.#set(key, change.key, { id, fields: { ...fields } });
  }

  /** Drops a stream's state with the stream (the store's `deleteStream`). */
  forget(key: string): void {
    this.#channels.delete(key);
  }

  async page(stream: StreamRef, query: StateQuery): Promise<StatePage> {
    this.#host.assertOpen();
    const key = this.#host.streamKey(stream);
    const at = query.at ?? this.#host.lastGeneratedId(key);
    const channel = this.#channels.get(key);
    if (channel === undefined) return { at, entries: [], nextKey: null };
    channel.sorted ??= [...channel.latest.keys()].sort();
    const keys = channel.sorted;
    const start = query.afterKey === undefined ? 0 : indexAfter(keys, query.afterKey);
    const end = Math.min(keys.length, start + query.limit);
    const entries = [];
    for (let index = start; index < end; index++) {
      const name = keys[index] as string;
      const latest = channel.latest.get(name) as Latest;
      // Changed after the snapshot's cursor: the events after it carry this key.
      if (compareCursors(latest.id, at) > 0) continue;
      entries.push({ key: name, event: decodeEntry(latest.id, latest.fields, this.#host.decode) });
    }
    return { at, entries, nextKey: end < keys.length ? (keys[end - 1] as string) : null };
  }

  async get(stream: StreamRef, key: string): Promise<StoredEvent | null> {
    this.#host.assertOpen();
    const latest = this.#channels.get(this.#host.streamKey(stream))?.latest.get(key);
    return latest === undefined ? null : decodeEntry(latest.id, latest.fields, this.#host.decode);
  }

  async size(stream: StreamRef): Promise<number> {
    this.#host.assertOpen();
    return this.#channels.get(this.#host.streamKey(stream))?.latest.size ?? 0;
  }

  async apply(stream: StreamRef, updates: readonly StateUpdate[]): Promise<number> {
    this.#host.assertOpen();
    const key = this.#host.streamKey(stream);
    let changed = 0;
    for (const update of updates) {
      const current = this.#channels.get(key)?.latest.get(update.key);
      if (update.fields === null) {
        if (current === undefined || compareCursors(current.id, update.id) >= 0) continue;
        this.#delete(key, update.key);
      } else {
        if (current !== undefined && compareCursors(current.id, update.id) >= 0) continue;
        this.#set(key, update.key, { id: update.id, fields: { ...update.fields } });
      }
      changed++;
    }
    return changed;
  }

  #set(stream: string, key: string, latest: Latest): void {
    let channel = this.#channels.get(stream);
    if (channel === undefined) {
      channel = { latest: new Map(), sorted: null };
      this.#channels.set(stream, channel);
    }
    if (!channel.latest.has(key)) channel.sorted = null;
    channel.latest.set(key, latest);
  }

  #delete(stream: string, key: string): void {
    const channel = this.#channels.get(stream);
    if (channel?.latest.delete(key) === true) channel.sorted = null;
  }
}
