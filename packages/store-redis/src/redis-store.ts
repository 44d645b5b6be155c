/**
 * @module
 * `RedisStreamStore`: the `EventStore` on Redis Streams, in the layout the Python
 * ReplayRail reads and writes (the package README, "How it stores events"). A
 * plain publish is one XADD; an idempotent one is one script. Every replay page is
 * read with the expiry figures in one script ("Expiry and lost history"). A live
 * read waits as its `wakeups` say (wakeups.ts), never on the user's client.
 */

import type { Cursor, EventStore, StoredEvent } from '@replayrail/core';
import { ZERO_CURSOR } from '@replayrail/core/cursor';
import { isReplayRailError, StoreClosedError, StoreError } from '@replayrail/core/errors';
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
  type EventFields,
  type GroupRef,
  type GroupStore,
  type IdempotencyRecord,
  integerOption,
  isRetryOf,
  type LargeIntegers,
  type LineageStore,
  largeIntegersOption,
  nextCursor,
  optionError,
  type RawStreams,
  type ReadQuery,
  type ReplayQuery,
  type StateStore,
  type StreamRef,
} from '@replayrail/core/store';
import { BlockingPool } from './blocking-pool.js';
import { connectionFor, type RedisConnection } from './connection.js';
import { fieldsOf, type RawEntry } from './entry-fields.js';
import { pageAfterPresent } from './page-after-present.js';
import { RedisDurableStreams } from './redis-durable-streams.js';
import { CommandDeadlines } from './redis-errors.js';
import { RedisGroups } from './redis-groups.js';
import { lineageKeys, RedisLineage } from './redis-lineage.js';
import { RedisRawStreams } from './redis-raw-streams.js';
import { encodeStateValue, RedisState, stateKeys } from './redis-state.js';
import { APPEND_AND_WAKE, figuresFromReply, IDEMPOTENT_APPEND, REPLAY_PAGE, runScript } from './scripts.js';
import { wakeChannel } from './shard-wakeups.js';
import { POLICY_APPEND } from './state-scripts.js';
import type { StoreHost } from './store-host.js';
import { describeStream, type StreamDescription } from './stream-description.js';
import { channelsUnder, prefixesOf } from './stream-listing.js';
import { type RunBlocking, readLive } from './wakeups.js';
import { ChosenWakeups, type WakeupsOption, wakeupsOption } from './wakeups-option.js';

/** Options of `RedisStreamStore`. */
export interface RedisStreamStoreOptions {
  /**
   * Your client: an ioredis `Redis` or `Cluster`, or a connected node-redis client
   * (`createClient`) or cluster (`createCluster`). The store never closes it unless
   * `closeClient` is true.
   */
  client: unknown;
  /**
   * Hash-tag keys (`<prefix>:{<channel>}`, `<prefix>:idempotency:{<channel>}:<event_id>`)
   * so a channel's stream and its idempotency records share a cluster slot.
   * Required with a cluster client; off by default otherwise, for the Python layout.
   * @default true for a cluster client, else false
   */
  hashTags?: boolean;
  /** Honour idempotent publishes (a caller's `eventId`). @default true */
  idempotency?: boolean;
  /** How long an idempotency record lives, in seconds; `null`: forever. @default 86400 */
  idempotencyTtlSeconds?: number | null;
  /** The longest any one command may take before `StoreUnavailableError`, in ms. @default 5000 */
  commandTimeoutMs?: number;
  /**
   * How a live read (`read` with `blockMs`, and a consumer group's read) waits for
   * new entries:
   * - `'shared-xread'`: the waits of every channel share one blocking `XREAD` on one
   *   connection; any writer's `XADD` wakes them at once. One server only.
   * - `'pubsub'`: every append also `SPUBLISH`es its ID on the stream's wake channel,
   *   and waits listen on one subscriber connection per primary, however many
   *   channels (Redis 7.0+). A writer that does not publish wake-ups (the Python
   *   library) is seen when the wait ends by itself, within the rail's `readBlockMs`.
   * - `'own-xread'`: each wait has a blocking `XREAD` of its own on a connection from
   *   the pool; any writer's `XADD` wakes it; waits beyond `maxBlockingConnections`
   *   wait their turn.
   * - `'auto'`: `'shared-xread'` on one server; on a cluster `'pubsub'` from Redis 7.0,
   *   else `'own-xread'`.
   * @default 'auto'
   */
  wakeups?: WakeupsOption;
  /** Most connections opened for blocking `XREAD`s at once; more waits wait their turn. @default 8 */
  maxBlockingConnections?: number;
  /** Close the client on `close()`. @default false */
  closeClient?: boolean;
  /**
   * What an integer outside ±(2^53 − 1) in a stored entry becomes (Python, Go or a
   * database can write 64-bit IDs; JavaScript would round them): `'error'` fails the
   * read with `SerializationError` naming the entry and the JSON path; `'string'`
   * reads it as the string of its exact digits.
   * @default 'error'
   */
  largeIntegers?: LargeIntegers;
}

// What a caller should know when a publish timed out: it may have been stored.
const NOT_IDEMPOTENT = '; it may have been stored: pass an eventId to make retries safe';
const IDEMPOTENT = '; it may have been stored: retrying with the same eventId publishes it at most once';

// Appends the entry's field/value pairs in the Python library's order
// (ENTRY_FIELDS), spelled out because it runs once per publish.
function pushEntry(args: string[], fields: EventFields): string[] {
  args.push(
    'event_id',
    fields.event_id,
    'channel',
    fields.channel,
    'type',
    fields.type,
    'payload',
    fields.payload,
    'actor',
    fields.actor,
    'metadata',
    fields.metadata,
    'created_at',
    fields.created_at,
  );
  return args;
}

const OWNER = 'RedisStreamStore';
const positiveInteger = (value: unknown, field: string, fallback: number) =>
  integerOption(OWNER, field, value, fallback, { max: Number.MAX_SAFE_INTEGER });

/**
 * An `EventStore` on Redis Streams.
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { ReplayRail } from '@replayrail/core';
 * import { RedisStreamStore } from '@replayrail/store-redis';
 *
 * const rail = new ReplayRail({ store: new RedisStreamStore({ client: new Redis() }) });
 */
export class RedisStreamStore implements EventStore {
  readonly #connection: RedisConnection;
  readonly #pool: BlockingPool;
  readonly #wakeups: ChosenWakeups;
  readonly #hashTags: boolean;
  readonly #idempotency: boolean;
  readonly #ttlSeconds: number | null;
  readonly #timeoutMs: number;
  readonly #deadlines: CommandDeadlines;
  readonly #closeClient: boolean;
  readonly #decode: DecodeOptions;
  // The same, for pages a transport frames (ReplayQuery.framed).
  readonly #decodeFramed: DecodeOptions;
  /** Consumer groups on this store's streams (what `rail.consume` and `rail.group` run on). */
  readonly groups: GroupStore;
  /** Streams in a layout of their own (store.raw): what `@replayrail/rpc` sends through. */
  readonly raw: RawStreams;
  /** The latest event of each key of keyed channels (store.state), changed by the append script. */
  readonly state: StateStore;
  /** The index per correlation that `rail.lineage` reads (store.lineage), added to by the append script. */
  readonly lineage: LineageStore;
  readonly #lineage: RedisLineage;
  /** The streams `@replayrail/durable-streams` serves (store.durableStreams): three keys each, one script per step. */
  readonly durableStreams: DurableStreamStore;
  readonly #groups: RedisGroups;
  #closed = false;

  constructor(options: RedisStreamStoreOptions) {
    if (typeof options !== 'object' || options === null) {
      throw optionError(OWNER, 'client', 'is required: new RedisStreamStore({ client, … })');
    }
    this.#connection = connectionFor(options.client);
    this.#hashTags = options.hashTags ?? this.#connection.isCluster;
    if (this.#connection.isCluster && !this.#hashTags) {
      throw optionError(
        OWNER,
        'hashTags',
        'cannot be false with a cluster client (a stream and its idempotency records must share a slot)',
      );
    }
    this.#idempotency = options.idempotency ?? true;
    const ttl = options.idempotencyTtlSeconds;
    this.#ttlSeconds =
      ttl === null ? null : positiveInteger(ttl, 'idempotencyTtlSeconds', DEFAULT_IDEMPOTENCY_TTL_SECONDS);
    this.#timeoutMs = positiveInteger(options.commandTimeoutMs, 'commandTimeoutMs', 5_000);
    this.#deadlines = new CommandDeadlines(this.#timeoutMs);
    this.#pool = new BlockingPool(
      this.#connection,
      positiveInteger(options.maxBlockingConnections, 'maxBlockingConnections', 8),
    );
    // A blocking XREAD may take its block time plus the command timeout.
    const runBlocking: RunBlocking = (command, operation, blockMs, context) =>
      this.#deadlines.run(command, operation, context, '', blockMs + this.#timeoutMs);
    this.#wakeups = new ChosenWakeups(wakeupsOption(options, this.#connection.isCluster), {
      connection: this.#connection,
      pool: this.#pool,
      run: runBlocking,
    });
    this.#closeClient = options.closeClient ?? false;
    this.#decode = { largeIntegers: largeIntegersOption(options.largeIntegers, 'RedisStreamStore') };
    this.#decodeFramed = { ...this.#decode, framed: true };
    const host: StoreHost = {
      streamKey: (stream) => this.streamKey(stream),
      hashTags: this.#hashTags,
      command: (args, key, operation, context) => this.#command(args, key, operation, context),
      script: (source, keys, args, operation, context) =>
        this.#deadlines.run(runScript(this.#connection, source, keys, args), operation, context),
      transaction: (commands, key, operation, context) =>
        this.#deadlines.run(this.#connection.transaction(commands, key), operation, context),
      assertOpen: () => this.#assertOpen(),
    };
    this.#groups = new RedisGroups({
      ...host,
      readLive: (key, query, readPage) => readLive(this.#wakeups, key, query, readPage),
      decode: this.#decode,
    });
    this.groups = this.#groups;
    this.raw = new RedisRawStreams({
      ...host,
      connection: this.#connection,
      publishesWakeups: async () => (this.#wakeups.now ?? (await this.#wakeups.get())).publishes,
      blockingReads: {
        pool: this.#pool,
        run: runBlocking,
        closed: () =>
          this.#closed ? new StoreClosedError('RedisStreamStore was closed during a blocking read') : undefined,
      },
    });
    this.state = new RedisState({ ...host, decode: this.#decode });
    this.#lineage = new RedisLineage({ ...host, decode: this.#decode, isCluster: this.#connection.isCluster });
    this.lineage = this.#lineage;
    this.durableStreams = new RedisDurableStreams({
      ...host,
      wakeups: () => this.#wakeups.get(),
      wakeChannel: async (key) =>
        (this.#wakeups.now ?? (await this.#wakeups.get())).publishes ? wakeChannel(key) : undefined,
    });
  }

  /** The Redis keys of a keyed channel's state: its hash of latest events and its sorted set of keys. */
  stateKeys(stream: StreamRef): { values: string; keys: string } {
    return stateKeys(this.streamKey(stream), this.#hashTags);
  }

  /** The Redis keys of a correlation's lineage index in a channel, and of its set of channels. */
  lineageKeys(stream: StreamRef, correlationId: string): { index: string; channels: string } {
    return lineageKeys(stream, correlationId);
  }

  /** The Redis key of one of a group's own keys: its dead letters, its redrive stream, its failures hash. */
  groupKey(ref: GroupRef, kind: 'dead' | 'redrive' | 'failures'): string {
    return this.#groups.groupKey(ref, kind);
  }

  /** The Redis key of a channel's stream: `<prefix>:<channel>`, or `<prefix>:{<channel>}` with hash tags. */
  streamKey(stream: StreamRef): string {
    return this.#hashTags ? `${stream.prefix}:{${stream.channel}}` : `${stream.prefix}:${stream.channel}`;
  }

  /** The Redis key of an event_id's idempotency record. */
  idempotencyKey(stream: StreamRef, eventId: string): string {
    return this.#hashTags
      ? `${stream.prefix}:idempotency:{${stream.channel}}:${eventId}`
      : `${stream.prefix}:idempotency:${eventId}`;
  }

  /** Connections this store opened for blocking reads (the user's client not counted). */
  get blockingConnections(): number {
    return this.#pool.size;
  }

  /** Subscriber connections this store opened for wake-ups: one per node serving a channel it reads. */
  get wakeupConnections(): number {
    return this.#wakeups.now?.subscriberConnections ?? 0;
  }

  append(stream: StreamRef, request: AppendRequest): Promise<StoredEvent> {
    if (this.#closed) return Promise.reject(new StoreClosedError('RedisStreamStore is closed'));
    // Whether an append publishes a wake-up depends on how readers wait.
    const wakeups = this.#wakeups.now;
    if (wakeups === undefined) return this.#wakeups.get().then(() => this.append(stream, request));
    const key = this.streamKey(stream);
    const { event, fields } = request;
    const idempotency = this.#idempotency ? request.idempotency : null;
    const wakes = wakeups.publishes;
    if (request.state !== null || request.maxAge !== null || request.lineage !== null) {
      return this.#appendWithPolicy(stream, key, request, wakes);
    }
    if (idempotency !== null) return this.#appendOnce(stream, key, request, idempotency, wakes);
    if (wakes) return this.#appendAndWake(stream, key, request);
    const args = ['XADD', key];
    if (request.maxLength !== null) args.push('MAXLEN', request.approximate ? '~' : '=', String(request.maxLength));
    args.push('*');
    pushEntry(args, fields);
    return this.#deadlines.map(
      this.#connection.send(args, key),
      (id) => ({ ...event, id: String(id) }),
      'XADD',
      { channel: stream.channel, event_id: event.event_id },
      NOT_IDEMPOTENT,
    );
  }

  #appendAndWake(stream: StreamRef, key: string, request: AppendRequest): Promise<StoredEvent> {
    const { event, fields } = request;
    return this.#deadlines.map(
      runScript(
        this.#connection,
        APPEND_AND_WAKE,
        [key],
        [
          request.maxLength === null ? '' : String(request.maxLength),
          request.approximate ? '1' : '0',
          wakeChannel(key),
          ...pushEntry([], fields),
        ],
      ),
      (id) => ({ ...event, id: String(id) }),
      'XADD',
      { channel: stream.channel, event_id: event.event_id },
      NOT_IDEMPOTENT,
    );
  }

  // A keyed channel, one trimmed by age, or an event with a correlation: one script
  // for the record check, the entry, both trims, the wake-up, the record, the state
  // and the lineage index (state-scripts.ts).
  #appendWithPolicy(stream: StreamRef, key: string, request: AppendRequest, wakes: boolean): Promise<StoredEvent> {
    const idempotency = this.#idempotency ? request.idempotency : null;
    const state = stateKeys(key, this.#hashTags);
    const change = request.state;
    const lineage = request.lineage === null ? undefined : this.#lineage.appendStep(stream, request.lineage);
    const script = () =>
      runScript(
        this.#connection,
        POLICY_APPEND,
        [key, this.idempotencyKey(stream, request.event.event_id), state.values, state.keys, ...(lineage?.keys ?? [])],
        [
          request.maxLength === null ? '' : String(request.maxLength),
          request.approximate ? '1' : '0',
          request.maxAge === null ? '' : String(request.maxAge),
          wakes ? wakeChannel(key) : '',
          idempotency?.fingerprint ?? '',
          this.#ttlSeconds === null ? '' : String(this.#ttlSeconds),
          request.event.created_at,
          change?.key ?? '',
          change?.tombstone === true ? 'del' : '',
          change === null || change.tombstone ? '' : encodeStateValue(request.fields),
          ...(lineage?.args ?? ['', '', '', '', '']),
          ...pushEntry([], request.fields),
        ],
      );
    // On a cluster the correlation's set of channels is written first (redis-lineage.ts);
    // on one server, once the script stored the event, its registration is remembered.
    const stored = async () => {
      const reply = (await script()) as [string, string];
      if (reply[0] === 'created') lineage?.stored();
      return reply;
    };
    const before = lineage?.before;
    const run = before === undefined ? stored : () => before.then(stored);
    if (idempotency === null) {
      return this.#deadlines.map(
        run(),
        (reply) => ({ ...request.event, id: String((reply as [string, string])[1]) }),
        'XADD',
        { channel: stream.channel, event_id: request.event.event_id },
        NOT_IDEMPOTENT,
      );
    }
    return this.#appendOnce(stream, key, request, idempotency, wakes, run);
  }

  async #appendOnce(
    stream: StreamRef,
    key: string,
    request: AppendRequest,
    idempotency: NonNullable<AppendRequest['idempotency']>,
    wakes: boolean,
    run: () => Promise<unknown> = () =>
      runScript(
        this.#connection,
        IDEMPOTENT_APPEND,
        [key, this.idempotencyKey(stream, request.event.event_id)],
        [
          request.maxLength === null ? '' : String(request.maxLength),
          request.approximate ? '1' : '0',
          idempotency.fingerprint,
          this.#ttlSeconds === null ? '' : String(this.#ttlSeconds),
          request.event.created_at,
          wakes ? wakeChannel(key) : '',
          ...pushEntry([], request.fields),
        ],
      ),
  ): Promise<StoredEvent> {
    const context = { channel: stream.channel, event_id: request.event.event_id };
    const reply = (await this.#deadlines.run(run(), 'idempotent XADD', context, IDEMPOTENT)) as [string, string];
    if (reply[0] === 'created') return { ...request.event, id: String(reply[1]) };

    const record = this.#parseRecord(reply[1], context);
    // An entry holding an integer past 2^53 (a bigint) that this store reads as an
    // error: the retry's own content stands in for it, once its fingerprint matched.
    const first = await this.#entry(record.stream_key, record.stream_id).catch((error: unknown) => {
      if (isReplayRailError(error, 'serialization_error')) return undefined;
      throw error;
    });
    // A record the Python library wrote has no created_at: take it from the entry.
    const known = record.created_at ?? first?.created_at;
    const withTime = known === undefined ? record : { ...record, created_at: known };
    if (!isRetryOf(withTime, idempotency.content, idempotency.matchCreatedAt)) {
      throw duplicateConflict(request.event, record);
    }
    return duplicateEvent(
      first ?? { ...request.event, id: record.stream_id, created_at: known ?? request.event.created_at },
      idempotency.duplicatePolicy,
    );
  }

  async replay(stream: StreamRef, query: ReplayQuery): Promise<StoredEvent[]> {
    this.#assertOpen();
    return this.#page(stream, query);
  }

  async read(stream: StreamRef, query: ReadQuery): Promise<StoredEvent[]> {
    this.#assertOpen();
    return readLive(this.#wakeups, this.streamKey(stream), query, async () => {
      const events = await this.#page(stream, query);
      return { result: events, found: events.length > 0, after: query.after };
    });
  }

  async latestCursor(stream: StreamRef): Promise<Cursor> {
    this.#assertOpen();
    const key = this.streamKey(stream);
    const reply = (await this.#command(['XREVRANGE', key, '+', '-', 'COUNT', '1'], key, 'XREVRANGE', {
      channel: stream.channel,
    })) as RawEntry[];
    return reply[0]?.[0] ?? ZERO_CURSOR;
  }

  /** What Redis keeps of a channel's stream: length, ends, counters, retention figures, group names. */
  async describe(stream: StreamRef): Promise<StreamDescription> {
    this.#assertOpen();
    const key = this.streamKey(stream);
    return describeStream(key, (args, operation) => this.#command(args, key, operation, { channel: stream.channel }));
  }

  /**
   * Channels with a stream under `prefix`, for operators' tools: a SCAN that looks at
   * up to `limit` keys (one server only: a cluster's keys are spread over nodes).
   */
  async channels(prefix: string, limit = 100_000): Promise<string[]> {
    this.#assertOpen();
    return channelsUnder(this.#scan(), prefix, { hashTags: this.#hashTags }, limit);
  }

  /** The prefixes (without a colon) under which `channel` has a stream: a tool's hint at a wrong prefix. */
  async prefixesOf(channel: string, limit = 100_000): Promise<string[]> {
    this.#assertOpen();
    return prefixesOf(this.#scan(), channel, { hashTags: this.#hashTags }, limit);
  }

  #scan(): (args: readonly string[]) => Promise<unknown> {
    if (this.#connection.isCluster) {
      throw new StoreError(
        'channels and prefixes are listed on one server only: a cluster spreads its keys over nodes',
        {
          context: { operation: 'SCAN' },
        },
      );
    }
    return (args) => this.#command([...args], undefined, 'SCAN', {});
  }

  async healthcheck(): Promise<void> {
    this.#assertOpen();
    await this.#command(['PING'], undefined, 'PING', {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeups.close(new StoreClosedError('RedisStreamStore was closed during a blocking read'));
    await this.#pool.close();
    if (this.#closeClient) await this.#connection.quit().catch(() => this.#connection.disconnect());
  }

  // --- Internals

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError('RedisStreamStore is closed');
  }

  async #command(args: string[], key: string | undefined, operation: string, context: Record<string, unknown>) {
    return this.#deadlines.run(this.#connection.send(args, key), operation, context);
  }

  #parseRecord(text: string, context: Record<string, unknown>): IdempotencyRecord {
    try {
      const record = JSON.parse(text) as IdempotencyRecord;
      if (typeof record.stream_key === 'string' && typeof record.stream_id === 'string') return record;
    } catch {
      // Reported below.
    }
    throw new StoreError('idempotency record is not valid JSON with stream_key and stream_id', {
      context: { ...context, record: text.slice(0, 200) },
    });
  }

  // One entry by ID, or undefined when it is no longer retained.
  async #entry(key: string, id: Cursor): Promise<StoredEvent | undefined> {
    const reply = (await this.#command(['XRANGE', key, id, id], key, 'XRANGE', { id })) as RawEntry[];
    const raw = reply[0];
    return raw === undefined ? undefined : decodeEntry(raw[0], fieldsOf(raw[1]), this.#decode);
  }

  async #page(stream: StreamRef, query: ReplayQuery): Promise<StoredEvent[]> {
    const key = this.streamKey(stream);
    const since = query.since === undefined ? undefined : cursorAtTime(query.since);
    const after = query.after ?? ZERO_CURSOR;
    // The cursor to look up (is it a real entry?) and the inclusive start of the page.
    const check = since === undefined && after !== ZERO_CURSOR ? after : '';
    const start = since ?? nextCursor(after);
    const context = { channel: stream.channel, after: query.after, since: since };
    const decode = query.framed === true ? this.#decodeFramed : this.#decode;
    if (check !== '') {
      const page = await this.#deadlines.run(
        pageAfterPresent(this.#connection, key, check, query.limit, query.until ?? '+'),
        'replay',
        context,
      );
      if (page !== undefined) {
        assertReplayable(stream.channel, after, page.figures);
        return page.entries.map(([id, fields]) => decodeEntry(id, fieldsOf(fields), decode));
      }
    }
    const reply = (await this.#deadlines.run(
      runScript(this.#connection, REPLAY_PAGE, [key], [check, start, String(query.limit), query.until ?? '+']),
      'replay',
      context,
    )) as unknown[];
    const figures = figuresFromReply(reply, check !== '' ? reply[6] === 1 : false);
    if (since !== undefined) assertReplayableSince(stream.channel, since, figures);
    else assertReplayable(stream.channel, after, figures);
    const page = (reply[0] === 1 ? reply[7] : []) as RawEntry[];
    return page.map(([id, fields]) => decodeEntry(id, fieldsOf(fields), decode));
  }
}
