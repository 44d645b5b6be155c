/**
 * @module
 * `ReplayRailConfig`: every knob, its default, and the check that rejects a bad
 * value at construction with a message naming the field (options.ts). Unknown
 * fields are errors too, so a typo cannot silently leave a default in force.
 */

import { ChannelPolicies, type ChannelPolicy } from './channel-policy.js';
import { badOption, booleanOption, choiceOption, integerOption, knownOptions } from './options.js';
import type { DuplicatePolicy, ReplayRailLimits, StartPosition } from './types.js';

/** The resolved configuration of a `ReplayRail`: every field set. */
export interface ResolvedConfig {
  /** Prefix of every Redis key: streams are `<prefix>:<channel>`. @default 'rr' */
  streamPrefix: string;
  /** Page size of `replay()` when no `limit` is given. @default 100 */
  defaultReplayLimit: number;
  /** Events kept per channel (XADD MAXLEN); `null` keeps everything. @default 10000 */
  maxStreamLength: number | null;
  /**
   * Entries older than this many ms (by the time in their ID) are trimmed on append
   * (`MINID`); `null` keeps them however old. @default null
   */
  maxStreamAge: number | null;
  /** Trim with `MAXLEN ~` (Redis may keep somewhat more, much cheaper). @default true */
  approximateTrimming: boolean;
  /** Where a subscription without a cursor starts. @default 'latest' */
  defaultStartPosition: StartPosition;
  /** How long one live read waits for new events, in ms. @default 5000 */
  readBlockMs: number;
  /** Most events one live read returns. @default 100 */
  readBatchSize: number;
  /** What a repeated `event_id` with the same content does. @default 'return_existing' */
  duplicatePolicy: DuplicatePolicy;
  limits: ReplayRailLimits;
  /**
   * Per-channel policies, the first match wins: retention (`maxStreamLength`,
   * `maxStreamAge`) and a latest-per-key state (`state`). @default none
   */
  channels: ChannelPolicies;
  /** The index per correlation that `rail.lineage` reads (docs/lineage.md). */
  lineage: LineageConfig;
}

/** How events are indexed by correlation, for `rail.lineage`. */
export interface LineageConfig {
  /**
   * Index each event whose `metadata.correlation_id` is a string (at most
   * `limits.maxEventIdLength` characters) in the append step, for `rail.lineage`. Off
   * by default: on Redis it makes such a publish a script instead of one `XADD`
   * (docs/lineage.md, "Why it is off by default"), and many applications set a correlation ID on
   * every event without wanting its graph. @default false
   */
  index: boolean;
  /**
   * How long a correlation's index lives in a channel after its last event there, in
   * ms, for a channel without `maxStreamAge` (a channel with one keeps its index as
   * long as its events); `null`: as long as the store keeps keys. @default 604800000 (7 days)
   */
  ttlMs: number | null;
  /** Most index entries one correlation keeps per channel; the oldest leave first. @default 10000 */
  maxEntries: number;
}

/** What `new ReplayRail({ config })` accepts: any subset of the resolved config. */
export type ReplayRailConfig = Partial<Omit<ResolvedConfig, 'limits' | 'channels' | 'lineage'>> & {
  limits?: Partial<ReplayRailLimits>;
  channels?: readonly ChannelPolicy[];
  lineage?: Partial<LineageConfig>;
};

const OWNER = 'ReplayRailConfig';
const SAFE = { max: Number.MAX_SAFE_INTEGER };

/** Every limit and its default (docs/architecture.md, "Limits and bad input"; each a positive integer). */
const LIMIT_DEFAULTS: Readonly<ReplayRailLimits> = {
  maxChannelLength: 256,
  maxEventTypeLength: 128,
  maxEventIdLength: 128,
  maxEventBytes: 64 * 1024,
  maxJsonDepth: 32,
  maxFrameBytes: 16 * 1024,
  maxSubscriptionsPerSocket: 100,
  maxReplayLimit: 1000,
  maxCatchUpPageBytes: 512 * 1024,
};
const FIELDS = [
  'streamPrefix',
  'defaultReplayLimit',
  'maxStreamLength',
  'maxStreamAge',
  'approximateTrimming',
  'defaultStartPosition',
  'readBlockMs',
  'readBatchSize',
  'duplicatePolicy',
  'limits',
  'channels',
  'lineage',
];
// Key-safe characters only: the prefix is part of every key this library writes.
const PREFIX = /^[A-Za-z0-9._:-]{1,64}$/;

const LINEAGE_FIELDS = ['index', 'ttlMs', 'maxEntries'];

function resolveLineage(lineage: unknown): LineageConfig {
  if (lineage !== undefined) knownOptions(OWNER, lineage, LINEAGE_FIELDS, 'lineage.');
  const given = (lineage ?? {}) as Partial<LineageConfig>;
  return {
    index: booleanOption(OWNER, 'lineage.index', given.index, false),
    ttlMs: given.ttlMs === null ? null : integerOption(OWNER, 'lineage.ttlMs', given.ttlMs, 7 * 86_400_000, SAFE),
    maxEntries: integerOption(OWNER, 'lineage.maxEntries', given.maxEntries, 10_000, SAFE),
  };
}

function resolveLimits(limits: unknown): ReplayRailLimits {
  if (limits === undefined) return { ...LIMIT_DEFAULTS };
  knownOptions(OWNER, limits, Object.keys(LIMIT_DEFAULTS), 'limits.');
  const resolved = { ...LIMIT_DEFAULTS };
  for (const name of Object.keys(LIMIT_DEFAULTS) as (keyof ReplayRailLimits)[]) {
    const range = name === 'maxJsonDepth' ? { max: 1000 } : SAFE;
    resolved[name] = integerOption(OWNER, `limits.${name}`, limits[name], LIMIT_DEFAULTS[name], range);
  }
  return resolved;
}

/**
 * Fills in defaults and validates; throws `ConfigError` naming the first bad field.
 *
 * @example
 * resolveConfig({ maxStreamLength: null }).streamPrefix; // 'rr'
 * resolveConfig({ maxStreamLength: -1 }); // ConfigError: invalid ReplayRailConfig option: maxStreamLength …
 */
export function resolveConfig(config: ReplayRailConfig = {}): Readonly<ResolvedConfig> {
  knownOptions(OWNER, config, FIELDS);
  const prefix = config.streamPrefix ?? 'rr';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw badOption(OWNER, 'streamPrefix', 'must be 1-64 characters of A-Z a-z 0-9 . _ : -', prefix);
  }
  const limits = resolveLimits(config.limits);
  const pageSize = { max: limits.maxReplayLimit };
  const maxStreamLength =
    config.maxStreamLength === null
      ? null
      : integerOption(OWNER, 'maxStreamLength', config.maxStreamLength, 10_000, SAFE);
  const maxStreamAge =
    config.maxStreamAge === null || config.maxStreamAge === undefined
      ? null
      : integerOption(OWNER, 'maxStreamAge', config.maxStreamAge, 0, SAFE);
  const resolved: ResolvedConfig = {
    streamPrefix: prefix,
    // At most limits.maxReplayLimit: a default the limit itself would refuse is no default.
    defaultReplayLimit: integerOption(OWNER, 'defaultReplayLimit', config.defaultReplayLimit, 100, pageSize),
    maxStreamLength,
    maxStreamAge,
    approximateTrimming: booleanOption(OWNER, 'approximateTrimming', config.approximateTrimming, true),
    defaultStartPosition: choiceOption(
      OWNER,
      'defaultStartPosition',
      config.defaultStartPosition,
      ['latest', 'earliest'],
      'latest',
    ),
    readBlockMs: integerOption(OWNER, 'readBlockMs', config.readBlockMs, 5_000, { min: 0 }),
    readBatchSize: integerOption(OWNER, 'readBatchSize', config.readBatchSize, 100, pageSize),
    duplicatePolicy: choiceOption(
      OWNER,
      'duplicatePolicy',
      config.duplicatePolicy,
      ['return_existing', 'raise'],
      'return_existing',
    ),
    limits,
    channels: new ChannelPolicies(config.channels, { maxStreamLength, maxStreamAge }),
    lineage: resolveLineage(config.lineage),
  };
  return Object.freeze({ ...resolved, limits: Object.freeze(limits), lineage: Object.freeze(resolved.lineage) });
}
