/**
 * @module
 * `MemoryEventStore`: an `EventStore` in process memory with the observable
 * behaviour of Redis Streams: `<ms>-<seq>` IDs per stream, MAXLEN trimming, the
 * expiry figures of XINFO STREAM, blocking reads, idempotency records with TTLs.
 * Every operation runs without an `await` between its check and its write, so it
 * is atomic under any number of concurrent publishers and readers.
 */

import { type Cursor, compareCursors, type EventStore, type StoredEvent } from '@replayrail/core';
import { parseCursor, ZERO_CURSOR } from '@replayrail/core/cursor';
import { isReplayRailError, StoreClosedError } from '@replayrail/core/errors';
import {
  type AppendRequest,
  assertReplayable,
  assertReplayableSince,
  cursorAtTime,
  DEFAULT_IDEMPOTENCY_TTL_SECONDS,
  type DecodeOptions,
  type DurableStreamStore,
  decodeEntry,
  duplicateConflict,
  duplicateEvent,
  type GroupStore,
  type IdempotencyRecord,
  integerOption,
  isRetryOf,
  type LargeIntegers,
  type LineageStore,
  largeIntegersOption,
  NO_STREAM,
  type RawStreams,
  type ReadQuery,
  type ReplayQuery,
  type StateStore,
  type StreamFigures,
  type StreamRef,
} from '@replayrail/core/store';
import { MemoryDurableStreams } from './memory-durable-streams.js';
import { MemoryGroups } from './memory-groups.js';
import { MemoryLineage } from './memory-lineage.js';
import { MemoryRawStreams } from './memory-raw-streams.js';
import { MemoryState } from './memory-state.js';

/** Options of `MemoryEventStore`. */
export interface MemoryEventStoreOptions {
  /**
   * Honour idempotent publishes (an `eventId` given by the caller). `false` appends
   * every publish, like a store without records.
   * @default true
   */
  idempotency?: boolean;
  /** How long an idempotency record lives, in seconds; `null`: forever. @default 86400 */
  idempotencyTtlSeconds?: number | null;
  /** The clock for entry IDs and record expiry, in epoch ms. @default Date.now */
  now?: () => number;
  /**
   * What an integer outside ±(2^53 − 1) in an entry (one written with `appendRaw`)
   * becomes: `'error'` or `'string'`, as in `RedisStreamStore`. @default 'error'
   */
  largeIntegers?: LargeIntegers;
}

interface Entry {
  readonly id: Cursor;
  readonly fields: Readonly<Record<string, string>>;
  /** Its place among every append to the stream (1-based): how consumer groups count what they read. */
  readonly added: number;
}

// One stream with the figures Redis keeps in XINFO STREAM.
interface Stream {
  entries: Entry[];
  entriesAdded: number;
  lastGeneratedId: Cursor;
  maxDeletedId: Cursor;
}

interface StoredRecord {
  record: IdempotencyRecord;
  expiresAt: number;
}

function streamKey(stream: StreamRef): string {
  return `${stream.prefix}:${stream.channel}`;
}

// Index of the first entry whose ID is greater than `cursor` (or equal, with `inclusive`).
function firstIndexAfter(entries: readonly { readonly id: Cursor }[], cursor: Cursor, inclusive: boolean): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const order = compareCursors((entries[mid] as { readonly id: Cursor }).id, cursor);
    if (order > 0 || (inclusive && order === 0)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * An in-memory `EventStore` for tests, local development and the demo.
 *
 * @example
 * import { ReplayRail } from '@replayrail/core';
 * import { MemoryEventStore } from '@replayrail/store-memory';
 *
 * const rail = new ReplayRail({ store: new MemoryEventStore(), config: { maxStreamLength: 1000 } });
 */
export class MemoryEventStore implements EventStore {
  readonly #streams = new Map<string, Stream>();
  readonly #records = new Map<string, StoredRecord>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #idempotency: boolean;
  readonly #ttlMs: number | null;
  readonly #now: () => number;
  readonly #decode: DecodeOptions;
  // The same, for pages a transport frames (ReplayQuery.framed).
  readonly #decodeFramed: DecodeOptions;
  /** Consumer groups on this store's streams (what `rail.consume` and `rail.group` run on). */
  readonly groups: GroupStore;
  /** Streams in a layout of their own (store.raw): what `@replayrail/rpc` sends through. */
  readonly raw: RawStreams;
  /** The latest event of each key of keyed channels (store.state), changed with each append. */
  readonly state: StateStore;
  readonly #state: MemoryState;
  /** The index per correlation that `rail.lineage` reads (store.lineage), added to with each append. */
  readonly lineage: LineageStore;
  readonly #lineage: MemoryLineage;
  /** Streams of the Durable Streams protocol (store.durableStreams): what `@replayrail/durable-streams` serves. */
  readonly durableStreams: DurableStreamStore;
  readonly #groups: MemoryGroups;
  #closed = false;

  constructor(options: MemoryEventStoreOptions = {}) {
    const ttl =
      options.idempotencyTtlSeconds === null
        ? null
        : integerOption(
            'MemoryEventStore',
            'idempotencyTtlSeconds',
            options.idempotencyTtlSeconds,
            DEFAULT_IDEMPOTENCY_TTL_SECONDS,
            {
              max: Number.MAX_SAFE_INTEGER,
            },
          );
    this.#idempotency = options.idempotency ?? true;
    this.#ttlMs = ttl === null ? null : ttl * 1000;
    this.#now = options.now ?? Date.now;
    this.#decode = { largeIntegers: largeIntegersOption(options.largeIntegers, 'MemoryEventStore') };
    this.#decodeFramed = { ...this.#decode, framed: true };
    this.#groups = new MemoryGroups({
      stream: (key) => this.#streams.get(key),
      ensureStream: (key) => this.#ensureStream(key),
      indexAfter: firstIndexAfter,
      nextId: (last) => this.#nextId(last),
      now: this.#now,
      nextAppend: (key, timeoutMs, signal) => this.#nextAppend(key, timeoutMs, signal),
      wake: (key) => this.#wake(key),
      assertOpen: () => this.#assertOpen(),
      decode: this.#decode,
    });
    this.groups = this.#groups;
    this.#state = new MemoryState({
      streamKey,
      lastGeneratedId: (key) => this.#streams.get(key)?.lastGeneratedId ?? ZERO_CURSOR,
      assertOpen: () => this.#assertOpen(),
      decode: this.#decode,
    });
    this.state = this.#state;
    this.#lineage = new MemoryLineage({
      event: (stream, id) => {
        const entries = this.#streams.get(streamKey(stream))?.entries ?? [];
        const entry = entries[firstIndexAfter(entries, id, true)];
        return entry?.id === id ? decodeEntry(id, entry.fields, this.#decode) : null;
      },
      now: this.#now,
      assertOpen: () => this.#assertOpen(),
    });
    this.lineage = this.#lineage;
    this.durableStreams = new MemoryDurableStreams({
      nextId: (last) => this.#nextId(last),
      indexAfter: firstIndexAfter,
      now: this.#now,
      nextAppend: (key, timeoutMs, signal) => this.#nextAppend(key, timeoutMs, signal),
      wake: (key) => this.#wake(key),
      assertOpen: () => this.#assertOpen(),
    });
    this.raw = new MemoryRawStreams({
      streamKey,
      entries: (key) => this.#streams.get(key)?.entries,
      ensure: (key) => void this.#ensureStream(key),
      append: (key, fields, maxLength) => this.#appendFields(key, fields, maxLength, true),
      deleteStream: (key) => {
        this.#groups.forgetStream(key);
        this.#streams.delete(key);
      },
      nextAppend: (key, timeoutMs, signal) => this.#nextAppend(key, timeoutMs, signal),
      now: this.#now,
      assertOpen: () => this.#assertOpen(),
    });
  }

  async append(stream: StreamRef, request: AppendRequest): Promise<StoredEvent> {
    this.#assertOpen();
    const idempotency = this.#idempotency ? request.idempotency : null;
    if (idempotency === null) return this.#appendEntry(stream, request);

    // Check, compare and write with no await in between: concurrent publishes of one
    // event_id cannot both append.
    const recordKey = `${stream.prefix}:idempotency:${request.event.event_id}`;
    const existing = this.#liveRecord(recordKey);
    if (existing === undefined) {
      const event = this.#appendEntry(stream, request);
      this.#records.set(recordKey, {
        record: {
          stream_key: streamKey(stream),
          stream_id: event.id,
          fingerprint: idempotency.fingerprint,
          created_at: request.event.created_at,
        },
        expiresAt: this.#ttlMs === null ? Number.POSITIVE_INFINITY : this.#now() + this.#ttlMs,
      });
      return event;
    }
    if (!isRetryOf(existing, idempotency.content, idempotency.matchCreatedAt)) {
      throw duplicateConflict(request.event, existing);
    }
    return duplicateEvent(this.#firstPublished(existing, request), idempotency.duplicatePolicy);
  }

  async replay(stream: StreamRef, query: ReplayQuery): Promise<StoredEvent[]> {
    this.#assertOpen();
    return this.#page(stream, query);
  }

  async read(stream: StreamRef, query: ReadQuery): Promise<StoredEvent[]> {
    this.#assertOpen();
    query.signal?.throwIfAborted();
    const deadline = Date.now() + query.blockMs;
    for (;;) {
      // Re-checks expiry on every wake-up: a trim while we waited must not hide a gap.
      const events = this.#page(stream, query);
      const remaining = deadline - Date.now();
      if (events.length > 0 || remaining <= 0) return events;
      await this.#nextAppend(streamKey(stream), remaining, query.signal);
    }
  }

  async latestCursor(stream: StreamRef): Promise<Cursor> {
    this.#assertOpen();
    const entries = this.#streams.get(streamKey(stream))?.entries;
    return entries?.[entries.length - 1]?.id ?? ZERO_CURSOR;
  }

  async healthcheck(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiters of this.#waiters.values()) for (const wake of waiters) wake();
    this.#waiters.clear();
  }

  // --- Test helpers: the Redis commands that change history behind a store's back.

  /** Removes entries by ID, like XDEL; returns how many existed. Moves the max deleted ID. */
  deleteEntries(stream: StreamRef, ids: readonly Cursor[]): number {
    this.#assertOpen();
    const state = this.#streams.get(streamKey(stream));
    if (state === undefined) return 0;
    let deleted = 0;
    for (const id of ids) {
      parseCursor(id);
      const index = firstIndexAfter(state.entries, id, true);
      if (state.entries[index]?.id !== id) continue;
      state.entries.splice(index, 1);
      deleted++;
      if (compareCursors(id, state.maxDeletedId) > 0) state.maxDeletedId = id;
    }
    return deleted;
  }

  /** Deletes the whole stream, like DEL: its history and figures are gone. */
  deleteStream(stream: StreamRef): boolean {
    this.#assertOpen();
    this.#groups.forgetStream(streamKey(stream));
    return this.#streams.delete(streamKey(stream));
  }

  /** Trims to the newest `maxLength` entries, like XTRIM MAXLEN =; returns how many went. */
  trim(stream: StreamRef, maxLength: number): number {
    this.#assertOpen();
    const state = this.#streams.get(streamKey(stream));
    const excess = state === undefined ? 0 : Math.max(0, state.entries.length - maxLength);
    state?.entries.splice(0, excess);
    return excess;
  }

  /**
   * Appends raw entry fields, like XADD with any field values: for fixtures such as
   * entries written by the Python library. Returns the new ID.
   */
  appendRaw(stream: StreamRef, fields: Readonly<Record<string, string>>): Cursor {
    this.#assertOpen();
    return this.#appendFields(streamKey(stream), fields, null);
  }

  // --- Internals

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError('MemoryEventStore is closed');
  }

  #appendEntry(stream: StreamRef, request: AppendRequest): StoredEvent {
    const fields = request.fields as unknown as Record<string, string>;
    const key = streamKey(stream);
    const minId = request.maxAge === null ? null : `${Math.max(0, Math.floor(this.#now()) - request.maxAge)}-0`;
    const id = this.#appendFields(key, fields, request.maxLength, request.approximate, minId);
    // The same synchronous step as the append: the state and the lineage index never
    // disagree with the stream.
    if (request.state !== null) this.#state.change(key, request.state, id, fields);
    if (request.lineage !== null) this.#lineage.add(stream, request.lineage, id);
    // The event as published, as the Redis store returns it: a bigint stays the one
    // given (a read returns it by `largeIntegers`).
    return { ...request.event, id };
  }

  #appendFields(
    key: string,
    fields: Readonly<Record<string, string>>,
    maxLength: number | null,
    approximate = false,
    minId: Cursor | null = null,
  ): Cursor {
    const state = this.#ensureStream(key);
    const id = this.#nextId(state.lastGeneratedId);
    state.entriesAdded++;
    state.entries.push({ id, fields: { ...fields }, added: state.entriesAdded });
    state.lastGeneratedId = id;
    // Trimming shifts the whole array, so with `~` (which, as in Redis, promises only
    // to keep at least maxLength) it waits until a tenth more has piled up: one shift
    // per maxLength/10 appends, not one per append of a full stream.
    const slack = approximate ? Math.floor((maxLength ?? 0) / 10) : 0;
    if (maxLength !== null && state.entries.length > maxLength + slack) {
      state.entries.splice(0, state.entries.length - maxLength);
    }
    // By age (MINID): the entries before `minId` go; the new one never does.
    if (minId !== null)
      state.entries.splice(0, Math.min(firstIndexAfter(state.entries, minId, true), state.entries.length - 1));
    this.#wake(key);
    return id;
  }

  #ensureStream(key: string): Stream {
    let state = this.#streams.get(key);
    if (state === undefined) {
      state = { entries: [], entriesAdded: 0, lastGeneratedId: ZERO_CURSOR, maxDeletedId: ZERO_CURSOR };
      this.#streams.set(key, state);
    }
    return state;
  }

  // Wakes the blocking reads waiting on `key`.
  #wake(key: string): void {
    const waiters = this.#waiters.get(key);
    if (waiters === undefined) return;
    this.#waiters.delete(key);
    for (const wake of waiters) wake();
  }

  // Redis's rule: the current time in ms, or the last ID's ms if the clock is behind,
  // with the sequence counting up within one ms (and never the reserved 0-0).
  #nextId(last: Cursor): Cursor {
    const previous = parseCursor(last);
    const now = BigInt(Math.max(0, Math.floor(this.#now())));
    if (now > previous.ms) return `${now}-0` === ZERO_CURSOR ? '0-1' : `${now}-0`;
    return previous.seq === (1n << 64n) - 1n ? `${previous.ms + 1n}-0` : `${previous.ms}-${previous.seq + 1n}`;
  }

  #figures(state: Stream | undefined, cursor: Cursor): StreamFigures {
    if (state === undefined) {
      return NO_STREAM;
    }
    const index = firstIndexAfter(state.entries, cursor, true);
    return {
      exists: true,
      length: state.entries.length,
      entriesAdded: state.entriesAdded,
      firstId: state.entries[0]?.id ?? null,
      lastGeneratedId: state.lastGeneratedId,
      maxDeletedId: state.maxDeletedId,
      cursorPresent: state.entries[index]?.id === cursor,
    };
  }

  #page(stream: StreamRef, query: ReplayQuery): StoredEvent[] {
    const state = this.#streams.get(streamKey(stream));
    let start: number;
    if (query.since !== undefined) {
      const from = cursorAtTime(query.since);
      assertReplayableSince(stream.channel, from, this.#figures(state, from));
      start = state === undefined ? 0 : firstIndexAfter(state.entries, from, true);
    } else {
      const after = query.after ?? ZERO_CURSOR;
      assertReplayable(stream.channel, after, this.#figures(state, after));
      start = state === undefined ? 0 : firstIndexAfter(state.entries, after, false);
    }
    if (state === undefined) return [];
    // `until` is inclusive: the page ends before the first entry after it.
    const end = query.until === undefined ? state.entries.length : firstIndexAfter(state.entries, query.until, false);
    const decode = query.framed === true ? this.#decodeFramed : this.#decode;
    return state.entries
      .slice(start, Math.min(start + query.limit, end))
      .map((entry) => decodeEntry(entry.id, entry.fields, decode));
  }

  #liveRecord(key: string): IdempotencyRecord | undefined {
    const stored = this.#records.get(key);
    if (stored === undefined) return undefined;
    if (stored.expiresAt <= this.#now()) {
      this.#records.delete(key);
      return undefined;
    }
    return stored.record;
  }

  // The event the first publish stored; rebuilt from the retry (the same content, by
  // its fingerprint) if trimming removed it, or if it holds an integer past 2^53 (a
  // bigint) that this store reads as an error.
  #firstPublished(record: IdempotencyRecord, request: AppendRequest): StoredEvent {
    const entries = this.#streams.get(record.stream_key)?.entries ?? [];
    const entry = entries[firstIndexAfter(entries, record.stream_id, true)];
    if (entry?.id === record.stream_id) {
      try {
        return decodeEntry(entry.id, entry.fields, this.#decode);
      } catch (error) {
        if (!isReplayRailError(error, 'serialization_error')) throw error;
      }
    }
    return { ...request.event, id: record.stream_id, created_at: record.created_at ?? request.event.created_at };
  }

  // Resolves on the next append to `key`, after `timeoutMs`, or on close; rejects on abort.
  #nextAppend(key: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      let waiters = this.#waiters.get(key);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(key, waiters);
      }
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const wake = (): void => {
        done();
        if (this.#closed) reject(new StoreClosedError('MemoryEventStore was closed during a blocking read'));
        else resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const current = this.#waiters.get(key);
        current?.delete(wake);
        if (current?.size === 0) this.#waiters.delete(key);
      };
      waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
