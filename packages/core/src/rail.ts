/**
 * @module
 * `ReplayRail`, the facade applications use: publishing (`publish`, the outbox's
 * `prepareEvent` and `publishEvent`), reading (`replay`, `replayAll`, `read`,
 * `subscribe`, `latestCursor`), consumers (`consume`, `group`), and the process's
 * figures (`subscriptions`, `liveChannels`, `healthcheck`). It validates every input
 * (so bad input changes nothing and never reaches a store), applies the config, and
 * leaves ordering, retention and expiry to the store.
 */

import type { ResolvedState } from './channel-policy.js';
import { ChannelState, type RebuildReport, type Snapshot } from './channel-state.js';
import { type ReplayRailConfig, type ResolvedConfig, resolveConfig } from './config.js';
import { Consumer, type ConsumerRail } from './consumer/consumer.js';
import { ConsumerGroup } from './consumer/group.js';
import { type ConsumeOptions, type RawConsumeOptions, resolveConsumeOptions } from './consumer/options.js';
import { formatCreatedAt, nowCreatedAt } from './created-at.js';
import { compareCursors, isCursor, LIVE_CURSOR, lastCursorAtTime, ZERO_CURSOR } from './cursor.js';
import { encodeEvent } from './envelope.js';
import {
  ConfigError,
  InvalidCursorError,
  InvalidRequestError,
  isReplayRailError,
  type ReplayRailError,
} from './errors.js';
import { eventFingerprint } from './fingerprint.js';
import type { SubscriptionStart } from './hub/catch-up.js';
import { type HubSubscribeOptions, LiveHub } from './hub/hub.js';
import type { EventListener, Subscription, SubscriptionEnd } from './hub/subscription.js';
import { eventsBefore, undecodableEntry } from './hub/undecodable.js';
import { copyEncoded } from './json.js';
import { type Cause, causedMetadata, correlationOf } from './lineage/causation.js';
import { buildLineage, type Lineage } from './lineage/lineage.js';
import type { PublishInput } from './publish-input.js';
import { type ParsedStart, parseStart, type StartOptions } from './start.js';
import type { DurableStreamStore } from './store/durable-stream-store.js';
import type { EventStore, ReplayQuery } from './store/event-store.js';
import type { GroupRef, GroupStore } from './store/group-store.js';
import type { EventLocation, LineageIndexing, LineageStore } from './store/lineage-store.js';
import type { StateChange } from './store/state-store.js';
import type { StreamRef } from './store/stream-ref.js';
import { GuardedStore } from './store-guard.js';
import type { PublishScope, Telemetry } from './telemetry/telemetry.js';
import type { Cursor, DuplicatePolicy, EventFields, JsonObject, NewEvent, StoredEvent } from './types.js';
import { assertChannel, assertGroupName } from './validate.js';

/** Where a replay starts (`StartOptions`) and ends, and its page size. */
export interface ReplayOptions extends StartOptions, SnapshotContinuation {
  /**
   * The last event to include: up to this cursor, or up to this time (inclusive,
   * to the millisecond, by the time in the event's ID). @default the end of the stream
   */
  until?: Cursor | Date | string;
  /** Page size, 1 to `limits.maxReplayLimit`. @default config.defaultReplayLimit */
  limit?: number;
}

/** One page of a replay. */
export interface ReplayPage {
  events: StoredEvent[];
  /**
   * Pass as `after` for the next page: the last event's ID, or the starting cursor if
   * none. Null while a snapshot has more pages (go on with `snapshot` below).
   */
  next: Cursor | null;
  /**
   * True when the page is full, so more events may follow, or when it ended before an
   * entry that cannot be decoded (the next page reports it); false at the end (of the
   * stream, or `until`).
   */
  hasMore: boolean;
  /**
   * On a page of a snapshot (`from: 'snapshot'`): the cursor it is exact at, and the
   * key to go on after (`{ from: 'snapshot', snapshotCursor, afterKey }`), or null
   * after its last page (then `next` is the cursor: go on after it).
   */
  snapshot?: { cursor: Cursor; nextKey: string | null };
}

/** Where the next page of a snapshot starts (`replay` with `from: 'snapshot'`). */
export interface SnapshotContinuation {
  /** The cursor the snapshot is exact at, from its first page. */
  snapshotCursor?: Cursor;
  /** The key the page before ended at. */
  afterKey?: string;
}

/** Options of `snapshot` and `rebuildState`. */
export interface SnapshotOptions {
  /**
   * Keys (a snapshot) or events and keys (a rebuild) per store call. A snapshot's
   * memory stays bounded by it; a rebuild holds one entry per key of the retained
   * history. @default config.defaultReplayLimit
   */
  pageSize?: number;
  signal?: AbortSignal;
}

/** What `rebuildLineage` did. */
export interface LineageRebuildReport {
  /** Retained events it read. */
  readonly events: number;
  /** Of those, the ones it added to the index (the others were there, or name no correlation). */
  readonly indexed: number;
  /** The correlations the events named. */
  readonly correlations: number;
}

/** Options of `replayAll`. */
export interface ReplayAllOptions extends StartOptions {
  /** The last event to include (a cursor, or a time, inclusive). @default the end of the stream */
  until?: Cursor | Date | string;
  /** Events read per store call; memory stays bounded by it. @default config.defaultReplayLimit */
  pageSize?: number;
  signal?: AbortSignal;
}

/** Options of `read`. */
export interface ReadOptions {
  /** A cursor, or `$` for only what comes after now. */
  after: Cursor;
  /** How long to wait for the first event, in ms; 0 returns at once. @default config.readBlockMs */
  blockMs?: number;
  /** @default config.readBatchSize */
  limit?: number;
  signal?: AbortSignal;
}

/** Options of `subscribe`: where it starts (`StartOptions`; with none, `config.defaultStartPosition`), and how it delivers. */
export interface SubscribeOptions extends StartOptions {
  /** Receive each event with its wire frame; without it, iterate the subscription. */
  onEvent?: EventListener;
  /**
   * Told of an entry that could not be decoded (by its ID) and was skipped, after
   * the events before it: at once with `onEvent`; when iterated, as the iteration
   * reaches its place.
   */
  onError?: (error: ReplayRailError) => void;
  /** Called once when it ends: with null when closed by its owner, else the error that ended it (as `ended`). */
  onEnd?: (end: SubscriptionEnd) => void;
  /** Called once it has caught up with the channel: every later event is live. */
  onLive?: () => void;
  /** Aborting ends the subscription. */
  signal?: AbortSignal;
  /** Events an iterating consumer may fall behind by before `SlowConsumerError` ends it. @default 10000 */
  maxBuffered?: number;
  /**
   * For an `onEvent` listener that writes somewhere with a cap: how many bytes of
   * frames it can take now (a socket: its send-buffer cap minus what waits in it;
   * `Infinity` when nothing waits). The catch-up hands over no more, and waits for
   * room, so a slow reader slows its own catch-up instead of overrunning its cap.
   * An iterating consumer is paced by `maxBuffered` instead. @default unbounded
   */
  room?: () => number;
}

/** Options of `lineage`. */
export interface LineageOptions {
  /** Most events to return, the oldest first. @default limits.maxReplayLimit */
  limit?: number;
}

/** The result of `healthcheck()`. */
export type HealthReport = { ok: true } | { ok: false; error: ReplayRailError };

/** Options of the `ReplayRail` constructor. */
export interface ReplayRailOptions {
  store: EventStore;
  config?: ReplayRailConfig;
  /**
   * Where metrics and traces go: `openTelemetry()` from `@replayrail/core/opentelemetry`.
   * @default none: nothing is recorded, and nothing costs
   */
  telemetry?: Telemetry;
}

/**
 * Durable, replayable, auditable events on an `EventStore`.
 *
 * @example
 * import { ReplayRail } from '@replayrail/core';
 * import { MemoryEventStore } from '@replayrail/store-memory';
 *
 * const rail = new ReplayRail({ store: new MemoryEventStore() });
 * const event = await rail.publish({ channel: 'orders', type: 'order.created', payload: { id: 1 } });
 * const { events } = await rail.replay('orders', { after: '0-0' }); // [event]
 */
export class ReplayRail {
  readonly config: Readonly<ResolvedConfig>;
  /** The store as given. The rail calls it through a guard that reports whatever it throws as a store failure. */
  readonly store: EventStore;
  /** What the rail, its transports and consumers report to, if anything. */
  readonly telemetry: Telemetry | undefined;
  readonly #store: GuardedStore;
  readonly #hub: LiveHub;
  readonly #state: ChannelState;

  constructor(options: ReplayRailOptions) {
    this.config = resolveConfig(options.config);
    if (this.config.channels.keepsState && options.store?.state === undefined) {
      throw new ConfigError(
        'a channel keeps a state (config.channels[].state), but this store keeps none (store.state)',
        {
          context: { field: 'channels' },
        },
      );
    }
    this.store = options.store;
    this.telemetry = options.telemetry;
    this.#store = new GuardedStore(options.store, this.telemetry);
    this.#hub = new LiveHub(this.#store, this.config, this.telemetry);
    this.#state = new ChannelState(this.#store, this.config, this.telemetry);
    this.telemetry?.observe(this);
  }

  /**
   * Validates, stores and returns one event with its cursor (`id`).
   *
   * @example
   * const event = await rail.publish({
   *   channel: 'restaurant:123:orders',
   *   type: 'order.created',
   *   payload: { order_id: 'ord_123' },
   *   actor: { type: 'waiter', id: 'usr_123' },
   *   metadata: { correlation_id: 'req_abc123' },
   * });
   * event.id; // '1719367320123-0'
   */
  publish(input: PublishInput): Promise<StoredEvent> {
    // Not `async`: the store's promise is handed back as it is. Validation errors
    // still arrive as a rejection, never as a synchronous throw.
    try {
      const event = this.#newEvent(input);
      const idempotent = input.eventId !== undefined;
      const policy = input.duplicatePolicy ?? this.config.duplicatePolicy;
      const cause = this.#causeLocation(input.causedBy);
      if (this.telemetry === undefined) {
        return this.#append(
          event,
          encodeEvent(event, this.config.limits),
          idempotent,
          input.createdAt !== undefined,
          policy,
          event,
          cause,
        );
      }
      const scope = this.telemetry.publishing(event, input.trace, false);
      return settle(scope, () => {
        // The trace context is stored with the event, but is no part of what a retry must
        // match: the fingerprint is the event's as given.
        const traced = { ...event, metadata: scope.metadata };
        const fields = encodeEvent(traced, this.config.limits);
        return this.#append(traced, fields, idempotent, input.createdAt !== undefined, policy, event, cause);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Validates an event and fixes its event_id and created_at without storing it:
   * save it in your own outbox in the same transaction as your state, then
   * `publishEvent` it (retries are idempotent).
   */
  prepareEvent(input: PublishInput): NewEvent {
    const event = this.#newEvent(input);
    const fields = encodeEvent(event, this.config.limits);
    // A copy made of the validated encoding: later changes to the input objects
    // cannot alter what the outbox holds.
    return {
      ...event,
      payload: copyEncoded(fields.payload, event.payload) as JsonObject,
      actor: copyEncoded(fields.actor, event.actor) as JsonObject | null,
      metadata: copyEncoded(fields.metadata, event.metadata) as JsonObject,
    };
  }

  /** Stores an event made by `prepareEvent`. Idempotent by its event_id. */
  async publishEvent(event: NewEvent): Promise<StoredEvent> {
    if (typeof event !== 'object' || event === null) {
      throw new InvalidRequestError('publishEvent expects an event made by prepareEvent');
    }
    const fixed: NewEvent = { ...event, created_at: formatCreatedAt(event.created_at) };
    const store = () =>
      this.#append(fixed, encodeEvent(fixed, this.config.limits), true, true, this.config.duplicatePolicy);
    if (this.telemetry === undefined) return store();
    if (typeof fixed.metadata !== 'object' || fixed.metadata === null) return store(); // refused by the encoder
    // Its metadata is fixed: the span continues the trace it carries, if any.
    return settle(this.telemetry.publishing(fixed, undefined, true), store);
  }

  /**
   * One page of a channel's retained events, in order. A page ends before an entry
   * that cannot be decoded (written by another writer: JSON Python wrote with a bare
   * `NaN`, a `created_at` that is no time), as live delivery does: its events before
   * the entry, `hasMore` true; the page that starts at the entry throws
   * `SerializationError` naming it (`error.context.id`); go on with `after` that ID.
   *
   * @throws ReplayWindowExpiredError when events after `after` are no longer retained.
   * @throws SerializationError when the page's first entry cannot be decoded.
   * @example
   * let page = await rail.replay('orders', { after: lastSeen, limit: 100 });
   * while (page.hasMore) page = await rail.replay('orders', { after: page.next!, limit: 100 });
   */
  async replay(channel: string, options: ReplayOptions = {}): Promise<ReplayPage> {
    const stream = this.#stream(channel);
    const limit = this.#limit(options.limit, this.config.defaultReplayLimit, 'limit');
    const parsed = parseStart(options, 'page');
    if (parsed.from === 'snapshot') return this.#snapshotPage(stream, options, limit);
    if (options.snapshotCursor !== undefined || options.afterKey !== undefined) {
      throw new InvalidRequestError("snapshotCursor and afterKey go on a snapshot: pass them with from: 'snapshot'");
    }
    const until = parsed.until instanceof Date ? lastCursorAtTime(parsed.until) : parsed.until;
    const start = await this.#resolve(stream, parsed);
    let page: { events: StoredEvent[]; cut: boolean };
    try {
      page = await this.#page(stream, { ...start, limit, ...(until !== undefined && { until }) });
    } catch (error) {
      if (isReplayRailError(error, 'replay_window_expired', 'stream_reset')) {
        this.telemetry?.historyLost(channel, error.code);
      }
      throw error;
    }
    const { events } = page;
    const last = events[events.length - 1];
    // Cut before an undecodable entry: more follows, starting with the entry's report.
    if (page.cut && last !== undefined) return { events, next: last.id, hasMore: true };
    const next = last !== undefined ? last.id : (start.after ?? null);
    // A full page may be followed by more, unless it reached `until`. (Reading one
    // extra entry would tell for sure, but would also decode it, and an undecodable
    // entry must fail its own page, not the one before.)
    const atEnd = until !== undefined && last !== undefined && compareCursors(last.id, until) >= 0;
    return { events, next, hasMore: events.length === limit && !atEnd };
  }

  /**
   * Every retained event from a position to the current end, page by page in
   * bounded memory. Stop early with `break`; expiry is rechecked on every page. An
   * entry that cannot be decoded ends it: the events before it, then
   * `SerializationError` naming it (`error.context.id`, where to go on `after`).
   *
   * @example
   * for await (const event of rail.replayAll('orders', { after: '0-0' })) apply(event);
   */
  async *replayAll(channel: string, options: ReplayAllOptions = {}): AsyncGenerator<StoredEvent, void, undefined> {
    const pageSize = this.#limit(options.pageSize, this.config.defaultReplayLimit, 'pageSize');
    const until = options.until === undefined ? {} : { until: options.until };
    const { after, from, since } = options;
    const start = {
      ...(after !== undefined && { after }),
      ...(from !== undefined && { from }),
      ...(since !== undefined && { since }),
    };
    if (from === 'snapshot') {
      if (options.until !== undefined)
        throw new InvalidRequestError("until does not bound a snapshot: omit it with from: 'snapshot'");
      const snapshot = await this.snapshot(channel, { pageSize, ...(options.signal && { signal: options.signal }) });
      yield* snapshot;
      yield* this.replayAll(channel, {
        after: snapshot.cursor,
        pageSize,
        ...(options.signal && { signal: options.signal }),
      });
      return;
    }
    let page = await this.replay(channel, { ...start, ...until, limit: pageSize });
    for (;;) {
      for (const event of page.events) {
        options.signal?.throwIfAborted();
        yield event;
      }
      if (!page.hasMore || page.next === null) return;
      options.signal?.throwIfAborted();
      page = await this.replay(channel, { after: page.next, ...until, limit: pageSize });
    }
  }

  /**
   * Events after a cursor, waiting up to `blockMs` for the first one.
   *
   * @example
   * const events = await rail.read('orders', { after: lastSeen, blockMs: 5000 });
   */
  async read(channel: string, options: ReadOptions): Promise<StoredEvent[]> {
    const stream = this.#stream(channel);
    const limit = this.#limit(options.limit, this.config.readBatchSize, 'limit');
    const blockMs = options.blockMs ?? this.config.readBlockMs;
    if (!Number.isInteger(blockMs) || blockMs < 0 || blockMs > 2_147_483_647) {
      throw new InvalidRequestError(`blockMs must be an integer from 0 to 2147483647, got ${String(blockMs)}`);
    }
    if (options.after === undefined)
      throw new InvalidCursorError('read needs a cursor: pass after (a cursor, 0-0 or $)');
    const { after } = await this.#resolve(stream, parseStart({ after: options.after }, 'subscription'));
    if (after === undefined) throw new InvalidCursorError('read needs a cursor: pass after (a cursor, 0-0 or $)');
    return this.#store.read(stream, { after, blockMs, limit, ...(options.signal && { signal: options.signal }) });
  }

  /**
   * Subscribes to a channel: the retained events after the start, then live ones,
   * each once, in order, with no gap (docs/architecture.md, "The delivery contract"). The start is resolved before this
   * returns (`latest` to the channel's last ID now), so every event published after
   * it is delivered. Subscribers of one channel share one read path per process.
   *
   * @example
   * const subscription = await rail.subscribe('orders', { after: lastSeen });
   * for await (const event of subscription) render(event);
   */
  async subscribe(channel: string, options: SubscribeOptions = {}): Promise<Subscription> {
    const stream = this.#stream(channel);
    const parsed = parseStart(options, 'subscription');
    const maxBuffered = options.maxBuffered ?? 10_000;
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      throw new InvalidRequestError(`maxBuffered must be a positive integer, got ${String(maxBuffered)}`);
    }
    let start: SubscriptionStart;
    if (parsed.from === 'snapshot') {
      // Its first page now: the cursor it is exact at is fixed before this returns.
      const pageSize = this.config.defaultReplayLimit;
      start = { snapshot: { first: await this.#state.state(stream).page(stream, { limit: pageSize }), pageSize } };
    } else {
      const given = parsed.after !== undefined || parsed.from !== undefined || parsed.since !== undefined;
      const resolved = await this.#resolve(stream, given ? parsed : { from: this.config.defaultStartPosition });
      start = resolved.since !== undefined ? { since: resolved.since } : { after: resolved.after ?? ZERO_CURSOR };
    }
    const hubOptions: HubSubscribeOptions = {
      maxBuffered,
      ...(options.onEvent && { onEvent: options.onEvent }),
      ...(options.onError && { onError: options.onError }),
      ...(options.onEnd && { onEnd: options.onEnd }),
      ...(options.onLive && { onLive: options.onLive }),
      ...(options.signal && { signal: options.signal }),
      ...(options.room && { room: options.room }),
    };
    return this.#hub.subscribe(stream, start, hubOptions);
  }

  /**
   * A keyed channel's snapshot: the latest event of each key (marked `snapshot: true`,
   * in key order) and the cursor it is exact at, read page by page as it is iterated,
   * consistent while publishing goes on (docs/state.md). The snapshot plus the
   * channel's events after `cursor` is its state; `subscribe` and `replay` with
   * `from: 'snapshot'` make that hand-off for you.
   *
   * @throws InvalidRequestError when the channel keeps no state (config.channels).
   * @example
   * const snapshot = await rail.snapshot('restaurant:123:orders');
   * for await (const event of snapshot) board.set(event.payload.order_id, event);
   * const live = await rail.subscribe('restaurant:123:orders', { after: snapshot.cursor });
   */
  async snapshot(channel: string, options: SnapshotOptions = {}): Promise<Snapshot> {
    const stream = this.#stream(channel);
    const pageSize = this.#limit(options.pageSize, this.config.defaultReplayLimit, 'pageSize');
    return this.#state.snapshot(stream, pageSize, options.signal);
  }

  /** A key's latest event in a keyed channel's state, or null when it holds none (never had one, or deleted). */
  async stateOf(channel: string, key: string): Promise<StoredEvent | null> {
    const stream = this.#stream(channel);
    if (typeof key !== 'string' || key === '') {
      throw new InvalidRequestError(`a state key is a non-empty string, got ${JSON.stringify(key)}`);
    }
    return this.#state.state(stream).get(stream, key);
  }

  /** How many keys a keyed channel's state holds. */
  async stateSize(channel: string): Promise<number> {
    return this.#state.size(this.#stream(channel));
  }

  /**
   * Recomputes a keyed channel's state from its retained history: each event applied
   * only where it is newer than what the state holds, so it is safe while publishing
   * goes on. For events written around the append step (the Python library, a raw
   * `XADD`); a state the rail kept is left as it is.
   */
  async rebuildState(channel: string, options: SnapshotOptions = {}): Promise<RebuildReport> {
    const stream = this.#stream(channel);
    const pageSize = this.#limit(options.pageSize, this.config.defaultReplayLimit, 'pageSize');
    this.#state.state(stream);
    const signal = options.signal && { signal: options.signal };
    const history = this.replayAll(channel, { after: ZERO_CURSOR, pageSize, ...signal });
    return this.#state.rebuild(stream, history, pageSize, options.signal);
  }

  /**
   * One workflow's events across channels and which caused which (docs/lineage.md):
   * the events whose `metadata.correlation_id` is `correlationId`, read from the
   * store's index of that correlation (work that grows with its events, not with
   * the streams), and the causes they name. `toMermaid` draws it.
   *
   * @throws ConfigError when the store keeps no lineage index (store.lineage).
   * @example
   * const lineage = await rail.lineage('req_abc123');
   * for (const edge of lineage.edges) console.log(edge.cause, '->', edge.effect, edge.dangling ?? '');
   */
  async lineage(correlationId: string, options: LineageOptions = {}): Promise<Lineage> {
    const limit = this.#limit(options.limit, this.config.limits.maxReplayLimit, 'limit');
    const max = this.config.limits.maxEventIdLength;
    if (typeof correlationId !== 'string' || correlationId === '' || correlationId.length > max) {
      throw new InvalidRequestError(
        `a correlation ID is a string of 1 to ${max} characters (limits.maxEventIdLength), got ${JSON.stringify(correlationId)}`,
      );
    }
    const store = this.#lineageStore('lineage');
    const prefix = this.config.streamPrefix;
    const records = await store.read(prefix, correlationId);
    return buildLineage(correlationId, records, limit, (locations) => store.events(prefix, locations));
  }

  /**
   * Adds a channel's retained events that name a correlation (`metadata.correlation_id`)
   * to the lineage index, each unless it is there already: for events appended around
   * the rail (the Python library, a raw `XADD`), which no append indexed. Safe while
   * publishing goes on; an entry that cannot be decoded stops it (docs/lineage.md).
   *
   * @throws ConfigError when the store keeps no lineage index (store.lineage).
   */
  async rebuildLineage(channel: string, options: SnapshotOptions = {}): Promise<LineageRebuildReport> {
    const stream = this.#stream(channel);
    const pageSize = this.#limit(options.pageSize, this.config.defaultReplayLimit, 'pageSize');
    const store = this.#lineageStore('rebuildLineage');
    const retention = {
      ttlMs: this.config.channels.of(channel).maxStreamAge ?? this.config.lineage.ttlMs,
      maxEntries: this.config.lineage.maxEntries,
    };
    const correlations = new Set<string>();
    const report = { events: 0, indexed: 0, correlations: 0 };
    // A page's events by correlation, one store call each.
    let page = new Map<string, Cursor[]>();
    const flush = async () => {
      for (const [correlationId, ids] of page)
        report.indexed += await store.index(stream, correlationId, ids, retention);
      page = new Map();
    };
    const signal = options.signal && { signal: options.signal };
    for await (const event of this.replayAll(channel, { after: ZERO_CURSOR, pageSize, ...signal })) {
      report.events++;
      const correlationId = correlationOf(event);
      if (correlationId !== undefined && correlationId.length <= this.config.limits.maxEventIdLength) {
        correlations.add(correlationId);
        const ids = page.get(correlationId);
        if (ids === undefined) page.set(correlationId, [event.id]);
        else ids.push(event.id);
      }
      if (report.events % pageSize === 0) await flush();
    }
    await flush();
    report.correlations = correlations.size;
    return report;
  }

  /**
   * The store's durable streams (`store.durableStreams`, what `@replayrail/durable-streams`
   * serves), with every failure reported as a ReplayRail error (`StoreError` for a
   * foreign one) and told to the telemetry; undefined when the store keeps none.
   */
  get durableStreams(): DurableStreamStore | undefined {
    return this.#store.durableStreams;
  }

  /** Channels with a live read path in this process (one per channel, however many subscribers). */
  get liveChannels(): number {
    return this.#hub.feeds;
  }

  /** Subscriptions in this process that have not ended (catching up or live). */
  get subscriptions(): number {
    return this.#hub.subscriptions;
  }

  /** The ID of the channel's last event, or `0-0` when it has none. */
  async latestCursor(channel: string): Promise<Cursor> {
    return this.#store.latestCursor(this.#stream(channel));
  }

  /** Whether the store answers. Never throws. */
  async healthcheck(): Promise<HealthReport> {
    try {
      await this.#store.healthcheck();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: error as ReplayRailError };
    }
  }

  /**
   * A durable consumer of one or more channels in a consumer group (docs/architecture.md, "Consumers"): each
   * event handled at least once by one member of the group, acknowledged after its
   * handler resolved, retried with backoff when it throws, moved to the group's dead
   * letters after `maxDeliveries`, reclaimed from a member that died. Call `start()`.
   * Needs a store that implements consumer groups (both of ours do). With `raw: true`
   * its handler gets each entry's stored fields instead (`RawConsumeOptions`): entries
   * in a layout of their own.
   *
   * @example
   * const consumer = rail.consume({
   *   channel: 'orders',
   *   group: 'kitchen-printer',
   *   concurrency: 4,
   *   handler: async (event) => printTicket(event.payload),
   * });
   * await consumer.start();
   * // on shutdown:
   * await consumer.stop({ graceMs: 10_000 });
   */
  consume(options: ConsumeOptions | RawConsumeOptions): Consumer {
    const resolved = resolveConsumeOptions(options, this.config.readBlockMs);
    for (const channel of resolved.channels) assertChannel(channel, this.config.limits);
    const telemetry = this.telemetry?.consumer(resolved.group, resolved.consumer);
    return new Consumer(this.#groups(), this.config.streamPrefix, resolved, this.#consumerRail, telemetry);
  }

  /**
   * A consumer group of a channel, to look at and tidy (its figures, its dead
   * letters, their redrive and discard); `consume` runs its handlers. Checks the
   * names at once; the store is asked only when a method is called.
   *
   * @example
   * const printer = rail.group('orders', 'kitchen-printer');
   * await printer.redrive('all');
   */
  group(channel: string, name: string): ConsumerGroup {
    assertGroupName(name, 'group');
    const ref: GroupRef = { ...this.#stream(channel), group: name };
    return new ConsumerGroup(
      () => this.#groups(),
      ref,
      (limit) => this.#limit(limit, this.config.defaultReplayLimit, 'limit'),
    );
  }

  /** Closes the store. Safe to call twice. */
  async close(): Promise<void> {
    await this.#store.close();
  }

  #newEvent(input: PublishInput): NewEvent {
    if (typeof input !== 'object' || input === null) {
      throw new InvalidRequestError('publish expects an object: { channel, type, payload, ... }');
    }
    const policy = input.duplicatePolicy;
    if (policy !== undefined && policy !== 'return_existing' && policy !== 'raise') {
      throw new InvalidRequestError(`duplicatePolicy must be 'return_existing' or 'raise', got ${String(policy)}`);
    }
    return {
      event_id: input.eventId ?? crypto.randomUUID(),
      channel: input.channel,
      type: input.type,
      payload: input.payload as JsonObject,
      actor: (input.actor ?? null) as JsonObject | null,
      metadata: (input.causedBy === undefined
        ? (input.metadata ?? {})
        : causedMetadata(input.metadata, input.causedBy)) as JsonObject,
      created_at: input.createdAt === undefined ? nowCreatedAt() : formatCreatedAt(input.createdAt),
    };
  }

  // The store's promise, returned as it is: no extra step on the publish path.
  #append(
    event: NewEvent,
    fields: EventFields,
    idempotent: boolean,
    matchCreatedAt: boolean,
    duplicatePolicy: DuplicatePolicy,
    fingerprinted: NewEvent = event,
    cause: EventLocation | null = null,
  ): Promise<StoredEvent> {
    const policy = this.config.channels.of(event.channel);
    return this.#store.append(
      { prefix: this.config.streamPrefix, channel: event.channel },
      {
        event,
        fields,
        maxLength: policy.maxStreamLength,
        approximate: this.config.approximateTrimming,
        maxAge: policy.maxStreamAge,
        state: policy.state === null ? null : stateChange(policy.state, event),
        lineage: this.#indexing(event, policy.maxStreamAge, cause),
        idempotency: idempotent
          ? { fingerprint: eventFingerprint(fingerprinted), content: fingerprinted, matchCreatedAt, duplicatePolicy }
          : null,
      },
    );
  }

  // The event's entry in its correlation's index, when it has one and the store keeps an index.
  #indexing(event: NewEvent, maxStreamAge: number | null, cause: EventLocation | null): LineageIndexing | null {
    const correlationId = this.#indexedCorrelation(event);
    if (correlationId === undefined) return null;
    return {
      correlationId,
      cause,
      ttlMs: maxStreamAge ?? this.config.lineage.ttlMs,
      maxEntries: this.config.lineage.maxEntries,
    };
  }

  // Where a cause handed to `causedBy` is stored, when it says so with a valid channel
  // and cursor (a stored event); else the lineage knows it by its event_id alone.
  #causeLocation(cause: Cause | undefined): EventLocation | null {
    if (cause === undefined || !isCursor(cause.id)) return null;
    try {
      assertChannel(cause.channel, this.config.limits);
    } catch {
      return null;
    }
    return { channel: cause.channel, id: cause.id };
  }

  // The store's lineage index, for a method that needs one.
  #lineageStore(method: string): LineageStore {
    const store = this.#store.lineage;
    if (store === undefined) {
      throw new ConfigError(`this store keeps no lineage index (store.lineage): rail.${method} needs one`, {
        context: { field: 'store' },
      });
    }
    return store;
  }

  // The correlation an event is indexed under, if it is.
  #indexedCorrelation(event: NewEvent): string | undefined {
    if (!this.config.lineage.index || this.#store.lineage === undefined) return undefined;
    const correlationId = correlationOf(event);
    return correlationId !== undefined && correlationId.length <= this.config.limits.maxEventIdLength
      ? correlationId
      : undefined;
  }

  // What consumers reach of the rail: their handlers' publishes, and their lineage marks.
  readonly #consumerRail: ConsumerRail = {
    publish: (input) => this.publish(input),
    mark: async (channel, event, mark) => {
      const correlationId = this.#indexedCorrelation(event);
      if (correlationId === undefined) return;
      const maxEntries = this.config.lineage.maxEntries;
      const ttlMs = this.config.channels.of(channel).maxStreamAge ?? this.config.lineage.ttlMs;
      const stream = { prefix: this.config.streamPrefix, channel };
      await this.#store.lineage?.mark(stream, correlationId, event.id, mark, { ttlMs, maxEntries });
    },
  };

  // A page of the store's. One that meets an entry no reader can decode ends before
  // it (`cut`), as live delivery hands over the events before such an entry; the
  // page that starts at the entry throws its SerializationError, naming it. So no
  // caller of `replay` skips it unawares, and none gets an event twice.
  async #page(stream: StreamRef, query: ReplayQuery): Promise<{ events: StoredEvent[]; cut: boolean }> {
    try {
      return { events: await this.#store.replay(stream, query), cut: false };
    } catch (error) {
      const bad = undecodableEntry(error);
      if (bad === undefined) throw error;
      const events = await eventsBefore(this.#store, stream, query, bad, query.limit);
      if (events.length === 0) throw error;
      return { events, cut: true };
    }
  }

  // A page of a snapshot, as `replay` gives pages: `next` is the snapshot's cursor
  // once its last page is out.
  async #snapshotPage(stream: StreamRef, options: ReplayOptions, limit: number): Promise<ReplayPage> {
    if (options.until !== undefined) {
      throw new InvalidRequestError("until does not bound a snapshot: omit it with from: 'snapshot'");
    }
    const { snapshotCursor, afterKey } = options;
    if ((snapshotCursor === undefined) !== (afterKey === undefined)) {
      throw new InvalidRequestError('a snapshot goes on with both snapshotCursor and afterKey, from the page before');
    }
    if (snapshotCursor !== undefined && !isCursor(snapshotCursor)) {
      throw new InvalidCursorError(`snapshotCursor must be a cursor, got ${JSON.stringify(String(snapshotCursor))}`);
    }
    if (afterKey !== undefined && (typeof afterKey !== 'string' || afterKey === '')) {
      throw new InvalidRequestError('afterKey must be a non-empty string');
    }
    const page = await this.#state.page(stream, {
      limit,
      ...(snapshotCursor !== undefined && { at: snapshotCursor, afterKey: afterKey as string }),
    });
    return {
      events: page.events,
      next: page.nextKey === null ? page.cursor : null,
      hasMore: true,
      snapshot: { cursor: page.cursor, nextKey: page.nextKey },
    };
  }

  #stream(channel: string): StreamRef {
    assertChannel(channel, this.config.limits);
    return { prefix: this.config.streamPrefix, channel };
  }

  // The store's consumer groups, guarded.
  #groups(): GroupStore {
    const groups = this.#store.groups;
    if (groups === undefined) {
      throw new ConfigError('this store has no consumer groups (store.groups): rail.consume and rail.group need them', {
        context: { field: 'store' },
      });
    }
    return groups;
  }

  #limit(value: number | undefined, fallback: number, name: string): number {
    if (value === undefined) return fallback;
    const max = this.config.limits.maxReplayLimit;
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new InvalidRequestError(
        `${name} must be an integer from 1 to ${max} (limits.maxReplayLimit), got ${String(value)}`,
        {
          context: { [name]: value, max },
        },
      );
    }
    return value;
  }

  // Resolves a checked start to what a store reads from: `$` and `latest` to the
  // channel's last ID now, so no read ever runs from `$`; `earliest` to `0-0`.
  async #resolve(stream: StreamRef, start: ParsedStart): Promise<{ after?: Cursor; since?: Date }> {
    if (start.since !== undefined) return { since: start.since };
    if (start.from === 'earliest') return { after: ZERO_CURSOR };
    if (start.from === 'latest' || start.after === LIVE_CURSOR)
      return { after: await this.#store.latestCursor(stream) };
    return start.after === undefined ? {} : { after: start.after };
  }
}

// What an event of a keyed channel does to its state; a key that is not a string
// is the publisher's mistake, refused before anything is stored.
function stateChange(state: ResolvedState, event: NewEvent): StateChange | null {
  let key: string | null;
  try {
    key = state.keyOf(event);
  } catch (error) {
    throw new InvalidRequestError(`channel ${event.channel}: ${(error as Error).message}`, {
      cause: error,
      context: { channel: event.channel, type: event.type },
    });
  }
  return key === null ? null : { key, tombstone: state.tombstones.has(event.type) };
}

// Runs a publish's store call and tells the telemetry how it ended (a throw included).
function settle(scope: PublishScope, run: () => Promise<StoredEvent>): Promise<StoredEvent> {
  let stored: Promise<StoredEvent>;
  try {
    stored = run();
  } catch (error) {
    scope.settled(error);
    return Promise.reject(error);
  }
  return stored.then(
    (event) => {
      scope.settled();
      return event;
    },
    (error: unknown) => {
      scope.settled(error);
      throw error;
    },
  );
}
