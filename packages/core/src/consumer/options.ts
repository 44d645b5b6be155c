/**
 * @module
 * `rail.consume` options: every knob with its default, and the check that refuses a
 * bad one at once with `ConfigError` naming it, before anything touches the store.
 */

import { cursorAtTime, LIVE_CURSOR, previousCursor, ZERO_CURSOR } from '../cursor.js';
import type { ReplayRailError } from '../errors.js';
import { integerOption, optionError } from '../options.js';
import type { PublishInput } from '../publish-input.js';
import { type ParsedStart, parseStart, type StartOptions } from '../start.js';
import type { Cursor, StoredEvent } from '../types.js';
import { GROUP_NAME_RULE, isGroupName } from '../validate.js';
import { type Backoff, DEFAULT_BACKOFF } from './backoff.js';

/** What a handler is told besides the event. */
export interface HandlerContext {
  readonly channel: string;
  readonly group: string;
  readonly consumer: string;
  /** This delivery's number: 1 the first time, more after failures, crashes and reclaims. */
  readonly attempt: number;
  /** Whether the entry was put back from the dead letters (`rail.redrive`). */
  readonly redriven: boolean;
  /**
   * Aborted when the result no longer counts: the consumer stopped and its grace
   * period ran out, or another consumer claimed the entry. A long handler should
   * pass it on (to `fetch`, a database driver) or check it.
   */
  readonly signal: AbortSignal;
  /**
   * Moves the entry to the group's dead letters once the handler is done (returned
   * or threw), with `reason`, and runs it no more: for an entry that can never
   * succeed (one that cannot be parsed, that names nothing there is).
   */
  deadLetter(reason: Error | string): void;
  /**
   * Publishes an event caused by the one being handled (docs/lineage.md): `rail.publish`
   * with `causedBy` it, so the new event goes on with its correlation and names it as
   * its cause. A raw consumer's entries are not events: there it rejects with
   * `InvalidRequestError`.
   */
  publish(input: Omit<PublishInput, 'causedBy'>): Promise<StoredEvent>;
}

/** Processes one event; resolving acknowledges it, throwing schedules a retry. */
export type EventHandler = (event: StoredEvent, context: HandlerContext) => unknown;

/**
 * A group's entry as it is stored, for a consumer of entries in a layout of their
 * own (`raw: true`): what another system writes to a stream, a command of
 * `@replayrail/rpc`.
 */
export interface RawEntry {
  /** Its ID in the channel's stream (for an entry put back from the dead letters: the one it was). */
  readonly id: Cursor;
  readonly channel: string;
  /** Its fields, as stored. */
  readonly fields: Readonly<Record<string, string>>;
}

/** Processes one raw entry; resolving acknowledges it, throwing schedules a retry. */
export type RawEntryHandler = (entry: RawEntry, context: HandlerContext) => unknown;

/** Options of `rail.consume`. */
export interface ConsumeOptions extends StartOptions {
  /** Events (the default); `true` is `RawConsumeOptions`: the handler gets each entry's stored fields. */
  raw?: false;
  /** The channel to process (or `channels`). */
  channel?: string;
  /** Several channels, each with its own group of the same name. */
  channels?: readonly string[];
  /** The consumer group: `[A-Za-z0-9._:-]`, up to 128 characters. */
  group: string;
  /** This consumer's name in the group, unique among its live consumers. @default a random name */
  consumer?: string;
  handler: EventHandler;
  /** Handlers running at once. @default 1 */
  concurrency?: number;
  /**
   * Entries fetched ahead, beyond those running: reads come in batches and the next
   * entry is at hand when a handler finishes. They are pending on this consumer (its
   * claim on them kept) until they run, so another consumer does not get them: for
   * long jobs shared by several consumers, set it low (0: fetch only for free slots).
   * @default 100
   */
  prefetch?: number;
  /**
   * Events for which it returns the same key are handled one at a time, in stream
   * order, within this consumer; `undefined` or `null`: no key.
   */
  orderingKey?: (event: StoredEvent) => string | null | undefined;
  /** An entry untouched this long by its consumer (it died) is claimed by another. @default 30000 */
  claimIdleMs?: number;
  /**
   * Longest wait of an acknowledgement, in ms: the entries whose handlers resolve
   * within it are acknowledged in one write (a round trip costs more CPU than
   * handling a small entry). A crash runs the entries still waiting again, elsewhere;
   * 0 writes at the end of each turn of the event loop. At most `claimIdleMs / 3`, so
   * a claim never lapses before its acknowledgement goes.
   * @default 50 (or `claimIdleMs / 3`, if less)
   */
  ackWindowMs?: number;
  /** Acknowledgements waiting that are written at once, without waiting out `ackWindowMs`. @default 100 */
  ackBatchSize?: number;
  /** Deliveries before an entry goes to the dead letters. @default 5 */
  maxDeliveries?: number;
  /** Waits between attempts of a failed entry. */
  backoff?: Partial<Backoff>;
  /** How long one read waits for new entries, in ms. @default config.readBlockMs */
  blockMs?: number;
  /** Consumers of the group idle this long that hold nothing are removed from it. @default 600000 */
  removeIdleConsumersAfterMs?: number;
  /**
   * Told of every failure: a handler that threw (`InternalError`, its cause the
   * throw), entries lost to trimming (`EntriesLostError`), store errors (the consumer
   * retries). Never throws into the consumer.
   */
  onError?: (error: ReplayRailError) => void;
}

/**
 * Options of `rail.consume` for entries that are not ReplayRail events (`raw: true`):
 * the handler gets each entry's stored fields, to read in their own layout, with
 * the same guarantees (claims kept while it runs, retries, dead letters, ordering).
 */
export interface RawConsumeOptions extends Omit<ConsumeOptions, 'raw' | 'handler' | 'orderingKey'> {
  raw: true;
  handler: RawEntryHandler;
  /** As `ConsumeOptions.orderingKey`, from the entry. */
  orderingKey?: (entry: RawEntry) => string | null | undefined;
}

/** The options with every default filled in. */
export interface ResolvedConsumeOptions {
  readonly channels: readonly string[];
  readonly group: string;
  readonly consumer: string;
  /** Whether the handler gets raw entries (`RawConsumeOptions`) rather than events. */
  readonly raw: boolean;
  readonly handler: (item: never, context: HandlerContext) => unknown;
  readonly concurrency: number;
  readonly prefetch: number;
  readonly orderingKey: ((item: never) => string | null | undefined) | undefined;
  readonly claimIdleMs: number;
  readonly ackWindowMs: number;
  readonly ackBatchSize: number;
  readonly maxDeliveries: number;
  readonly backoff: Backoff;
  /** Where a group that does not exist yet starts reading: after this cursor, or `$` (after the last entry then). */
  readonly groupStart: Cursor | '$';
  readonly blockMs: number;
  readonly removeIdleConsumersAfterMs: number;
  readonly onError: (error: ReplayRailError) => void;
}

const OWNER = 'consume';
const ACK_WINDOW_MS = 50;
const ACK_BATCH_SIZE = 100;
const invalid = (field: string, problem: string) => optionError(OWNER, field, problem);
const integer = (value: unknown, field: string, fallback: number, min: number, max?: number) =>
  integerOption(OWNER, field, value, fallback, { min, ...(max !== undefined && { max }) });

function name(value: unknown, field: string): string {
  if (!isGroupName(value)) throw invalid(field, `must be ${GROUP_NAME_RULE}, got ${JSON.stringify(value)}`);
  return value;
}

function randomName(): string {
  const pid = (globalThis as { process?: { pid?: number } }).process?.pid;
  return `${pid ?? 'js'}-${Math.random().toString(36).slice(2, 10)}`;
}

function resolveBackoff(backoff: Partial<Backoff> | undefined): Backoff {
  if (backoff === undefined) return DEFAULT_BACKOFF;
  if (typeof backoff !== 'object' || backoff === null) throw invalid('backoff', 'must be an object');
  const initialMs = integer(backoff.initialMs, 'backoff.initialMs', DEFAULT_BACKOFF.initialMs, 0);
  const maxMs = integer(backoff.maxMs, 'backoff.maxMs', Math.max(initialMs, DEFAULT_BACKOFF.maxMs), initialMs);
  const multiplier = backoff.multiplier ?? DEFAULT_BACKOFF.multiplier;
  if (typeof multiplier !== 'number' || !(multiplier >= 1 && multiplier <= 100)) {
    throw invalid('backoff.multiplier', `must be a number from 1 to 100, got ${String(multiplier)}`);
  }
  const jitter = backoff.jitter ?? DEFAULT_BACKOFF.jitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw invalid('backoff.jitter', `must be a number from 0 to 1, got ${String(jitter)}`);
  }
  return { initialMs, maxMs, multiplier, jitter };
}

// Where a group that does not exist yet starts reading (the ID \`XGROUP CREATE\` takes):
// the start of start.ts, \`latest\` by default; a time starts before its first entry.
function groupStart(options: StartOptions): Cursor | '$' {
  let start: ParsedStart;
  try {
    start = parseStart(options, 'subscription');
  } catch (error) {
    const field = (['after', 'from', 'since'] as const).find((name) => options[name] !== undefined) ?? 'from';
    throw invalid(field, (error as Error).message.replace(/^\w+ /, ''));
  }
  if (start.from === 'snapshot') {
    throw invalid('from', "'snapshot' starts a read, not a consumer group: use 'earliest' or 'latest'");
  }
  if (start.since !== undefined) return previousCursor(cursorAtTime(start.since));
  if (start.from === 'earliest') return ZERO_CURSOR;
  return start.after ?? LIVE_CURSOR;
}

/** Checks `options` and fills in the defaults; throws `ConfigError` naming the first bad field. */
export function resolveConsumeOptions(
  options: ConsumeOptions | RawConsumeOptions,
  readBlockMs: number,
): ResolvedConsumeOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
  const channels = options.channels ?? (options.channel === undefined ? undefined : [options.channel]);
  if (options.channel !== undefined && options.channels !== undefined) {
    throw invalid('channel', 'and channels cannot both be given');
  }
  if (!Array.isArray(channels) || channels.length === 0 || channels.some((channel) => typeof channel !== 'string')) {
    throw invalid('channel', 'or channels is required: the channel(s) to process');
  }
  if (new Set(channels).size !== channels.length) throw invalid('channels', 'must not repeat a channel');
  if (typeof options.handler !== 'function') throw invalid('handler', 'must be a function');
  if (options.orderingKey !== undefined && typeof options.orderingKey !== 'function') {
    throw invalid('orderingKey', 'must be a function');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw invalid('onError', 'must be a function');
  }
  const raw = (options as { raw?: unknown }).raw ?? false;
  if (typeof raw !== 'boolean') throw invalid('raw', `must be true or false, got ${String(raw)}`);
  if ('start' in options) {
    throw invalid(
      'start',
      "is now from, as everywhere a read starts: from: 'latest' | 'earliest' | <cursor> (or after, or since)",
    );
  }
  const onError = options.onError;
  const claimIdleMs = integer(options.claimIdleMs, 'claimIdleMs', 30_000, 10);
  // The window fits inside the period claims are kept at (claimIdleMs / 3): an
  // acknowledgement goes at least that long before its claim could lapse.
  const longestWindow = Math.floor(claimIdleMs / 3);
  if (typeof options.ackWindowMs === 'number' && options.ackWindowMs > longestWindow) {
    throw invalid(
      'ackWindowMs',
      `must be at most claimIdleMs / 3 (${longestWindow}), got ${options.ackWindowMs}: an acknowledgement must be written well before its claim could lapse`,
    );
  }
  return {
    channels,
    group: name(options.group, 'group'),
    consumer: options.consumer === undefined ? randomName() : name(options.consumer, 'consumer'),
    raw,
    handler: options.handler,
    concurrency: integer(options.concurrency, 'concurrency', 1, 1, 10_000),
    prefetch: integer(options.prefetch, 'prefetch', 100, 0, 10_000),
    orderingKey: options.orderingKey,
    claimIdleMs,
    ackWindowMs: integer(options.ackWindowMs, 'ackWindowMs', Math.min(ACK_WINDOW_MS, longestWindow), 0),
    ackBatchSize: integer(options.ackBatchSize, 'ackBatchSize', ACK_BATCH_SIZE, 1, 10_000),
    maxDeliveries: integer(options.maxDeliveries, 'maxDeliveries', 5, 1, 1_000_000),
    backoff: resolveBackoff(options.backoff),
    groupStart: groupStart(options),
    blockMs: integer(options.blockMs, 'blockMs', readBlockMs, 1),
    removeIdleConsumersAfterMs: integer(options.removeIdleConsumersAfterMs, 'removeIdleConsumersAfterMs', 600_000, 1),
    onError: (error) => {
      try {
        onError?.(error);
      } catch {
        // A throwing onError must not take the consumer down.
      }
    },
  };
}
