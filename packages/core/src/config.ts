/**
 * @module
 * `ReplayRailConfig`: every knob, its default, and the check that rejects a bad
 * value at construction with a message naming the field. Unknown fields are
 * errors too, so a typo cannot silently leave a default in force.
 */

import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { DuplicatePolicy, ReplayRailLimits, StartPosition } from './types.js';

/** The resolved configuration of a `ReplayRail`: every field set. */
export interface ResolvedConfig {
  /** Prefix of every Redis key: streams are `<prefix>:<channel>`. @default 'rr' */
  streamPrefix: string;
  /** Page size of `replay()` when no `limit` is given. @default 100 */
  defaultReplayLimit: number;
  /** Events kept per channel (XADD MAXLEN); `null` keeps everything. @default 10000 */
  maxStreamLength: number | null;
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
}

/** What `new ReplayRail({ config })` accepts: any subset of the resolved config. */
export type ReplayRailConfig = Partial<Omit<ResolvedConfig, 'limits'>> & { limits?: Partial<ReplayRailLimits> };

const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const limitsSchema = z.strictObject({
  maxChannelLength: positiveInt.default(256),
  maxEventTypeLength: positiveInt.default(128),
  maxEventIdLength: positiveInt.default(128),
  maxEventBytes: positiveInt.default(64 * 1024),
  maxJsonDepth: positiveInt.max(1000).default(32),
  maxFrameBytes: positiveInt.default(16 * 1024),
  maxSubscriptionsPerSocket: positiveInt.default(100),
  maxReplayLimit: positiveInt.default(1000),
  maxCatchUpPageBytes: positiveInt.default(512 * 1024),
});

const configSchema = z
  .strictObject({
    // Key-safe characters only: the prefix is part of every key this library writes.
    streamPrefix: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ : -')
      .default('rr'),
    defaultReplayLimit: positiveInt.default(100),
    maxStreamLength: positiveInt.nullable().default(10_000),
    approximateTrimming: z.boolean().default(true),
    defaultStartPosition: z.enum(['latest', 'earliest']).default('latest'),
    readBlockMs: z.number().int().min(0).max(2_147_483_647).default(5_000),
    readBatchSize: positiveInt.default(100),
    duplicatePolicy: z.enum(['return_existing', 'raise']).default('return_existing'),
    limits: limitsSchema.default(limitsSchema.parse({})),
  })
  .refine((config) => config.defaultReplayLimit <= config.limits.maxReplayLimit, {
    message: 'must not exceed limits.maxReplayLimit',
    path: ['defaultReplayLimit'],
  })
  .refine((config) => config.readBatchSize <= config.limits.maxReplayLimit, {
    message: 'must not exceed limits.maxReplayLimit',
    path: ['readBatchSize'],
  });

/**
 * Fills in defaults and validates; throws `ConfigError` naming the first bad field.
 *
 * @example
 * resolveConfig({ maxStreamLength: null }).streamPrefix; // 'rr'
 * resolveConfig({ maxStreamLength: -1 }); // ConfigError: maxStreamLength: Too small …
 */
export function resolveConfig(config: ReplayRailConfig = {}): Readonly<ResolvedConfig> {
  const result = configSchema.safeParse(config);
  if (!result.success) {
    const issue = result.error.issues[0];
    const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...(issue?.path ?? []), ...keys].join('.') || '(root)';
    const message =
      issue?.code === 'unrecognized_keys'
        ? 'is not a ReplayRailConfig field (a typo?)'
        : (issue?.message ?? 'is invalid');
    throw new ConfigError(`invalid ReplayRailConfig: ${field}: ${message}`, { context: { field } });
  }
  const resolved = result.data;
  return Object.freeze({ ...resolved, limits: Object.freeze(resolved.limits) });
}
