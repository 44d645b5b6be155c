/**
 * @module
 * The lineage index in memory (`store.lineage`, docs/lineage.md): for each
 * correlation, per channel, the cursors of its events (with where their causes are)
 * and the marks consumers left, as the Redis store keeps them in a list per
 * correlation and channel. The memory store's append calls `add` in the same
 * synchronous step as the append. An index expires `ttlMs` after its last entry.
 */

import { type Cursor, compareCursors, type StoredEvent } from '@replayrail/core';
import type {
  EventLocation,
  LineageIndexing,
  LineageMark,
  LineageRecord,
  LineageRetention,
  LineageStore,
  StreamRef,
} from '@replayrail/core/store';

type IndexEntry =
  | { readonly kind: 'event'; readonly id: Cursor; readonly cause: EventLocation | null }
  | { readonly kind: 'mark'; readonly id: Cursor; readonly mark: LineageMark };

interface ChannelIndex {
  readonly entries: IndexEntry[];
  expiresAt: number;
}

/** What the index needs from the store it belongs to. */
export interface MemoryLineageHost {
  /** The event stored at `id` in `stream`, or null when the stream no longer holds it. */
  event(stream: StreamRef, id: Cursor): StoredEvent | null;
  now(): number;
  assertOpen(): void;
}

export class MemoryLineage implements LineageStore {
  // `<prefix>\n<correlation>` → channel → its index there.
  readonly #indexes = new Map<string, Map<string, ChannelIndex>>();
  readonly #host: MemoryLineageHost;

  constructor(host: MemoryLineageHost) {
    this.#host = host;
  }

  /** Adds an appended event to its correlation's index (called in the append's step). */
  add(stream: StreamRef, indexing: LineageIndexing, id: Cursor): void {
    this.#push(stream, indexing.correlationId, { kind: 'event', id, cause: indexing.cause }, indexing);
  }

  async read(prefix: string, correlationId: string): Promise<LineageRecord[]> {
    this.#host.assertOpen();
    const channels = this.#live(prefix, correlationId);
    const records: LineageRecord[] = [];
    for (const [channel, index] of channels ?? []) {
      const stream = { prefix, channel };
      for (const entry of index.entries) {
        if (entry.kind === 'mark') records.push({ kind: 'mark', channel, id: entry.id, mark: entry.mark });
        else records.push({ ...entry, channel, event: this.#host.event(stream, entry.id) });
      }
    }
    return records;
  }

  async events(prefix: string, locations: readonly EventLocation[]): Promise<(StoredEvent | null)[]> {
    this.#host.assertOpen();
    return locations.map(({ channel, id }) => this.#host.event({ prefix, channel }, id));
  }

  async index(
    stream: StreamRef,
    correlationId: string,
    ids: readonly Cursor[],
    retention: LineageRetention,
  ): Promise<number> {
    this.#host.assertOpen();
    const held = new Set(
      (this.#live(stream.prefix, correlationId)?.get(stream.channel)?.entries ?? []).flatMap((entry) =>
        entry.kind === 'event' ? [entry.id] : [],
      ),
    );
    const missing = [...new Set(ids)].filter((id) => !held.has(id));
    if (missing.length === 0) return 0;
    // In cursor order among what is held (a stable sort keeps the entries of one ID
    // in the order they came), then the newest `maxEntries`, as an append keeps them.
    this.#push(
      stream,
      correlationId,
      missing.map((id) => ({ kind: 'event', id, cause: null })),
      retention,
    );
    return missing.length;
  }

  async mark(
    stream: StreamRef,
    correlationId: string,
    id: Cursor,
    mark: LineageMark,
    retention: LineageRetention,
  ): Promise<void> {
    this.#host.assertOpen();
    this.#push(stream, correlationId, { kind: 'mark', id, mark }, retention);
  }

  // Adds an entry (an append, a mark: the newest), or entries of events held already
  // (a rebuild: put in cursor order among the others).
  #push(stream: StreamRef, correlationId: string, added: IndexEntry | IndexEntry[], retention: LineageRetention): void {
    const key = `${stream.prefix}\n${correlationId}`;
    const channels = this.#live(stream.prefix, correlationId) ?? new Map<string, ChannelIndex>();
    this.#indexes.set(key, channels);
    const index = channels.get(stream.channel) ?? { entries: [], expiresAt: 0 };
    channels.set(stream.channel, index);
    if (Array.isArray(added)) {
      index.entries.push(...added);
      index.entries.sort((a, b) => compareCursors(a.id, b.id));
    } else index.entries.push(added);
    if (index.entries.length > retention.maxEntries)
      index.entries.splice(0, index.entries.length - retention.maxEntries);
    index.expiresAt = retention.ttlMs === null ? Number.POSITIVE_INFINITY : this.#host.now() + retention.ttlMs;
  }

  // A correlation's channel indexes that have not expired (the expired ones dropped).
  #live(prefix: string, correlationId: string): Map<string, ChannelIndex> | undefined {
    const key = `${prefix}\n${correlationId}`;
    const channels = this.#indexes.get(key);
    if (channels === undefined) return undefined;
    const now = this.#host.now();
    for (const [channel, index] of channels) if (index.expiresAt <= now) channels.delete(channel);
    if (channels.size === 0) this.#indexes.delete(key);
    return channels.size === 0 ? undefined : channels;
  }
}
