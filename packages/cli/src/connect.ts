/**
 * @module
 * The connection every command uses: an ioredis client on `--redis` (or
 * `REDIS_URL`, or 127.0.0.1:6379), a Redis store on it, a rail with `--prefix` (and
 * the channel policies of `--config` or `--key-field`, for keyed channels).
 */

import { type ChannelPolicy, ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';

export interface ConnectionOptions {
  redis?: string;
  prefix: string;
  /** Channel policies (policy.ts): which channels keep a state, and their keys. */
  channels?: readonly ChannelPolicy[];
}

export interface Connection {
  readonly redis: Redis;
  readonly store: RedisStreamStore;
  readonly rail: ReplayRail;
  readonly prefix: string;
  close(): Promise<void>;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Redis could not be reached: exit code 1 with the URL (without its password) and the reason. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Connects (one attempt, 5 s at most) and gives the rail on that connection. */
export async function connect(
  options: ConnectionOptions,
  env: Record<string, string | undefined>,
): Promise<Connection> {
  const url = options.redis ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;
  // Fail fast on an unreachable server instead of retrying forever: a CLI call is one attempt.
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectTimeout: 5_000,
    connectionName: 'replayrail-cli',
  });
  redis.on('error', () => {}); // each command reports its own failure
  // Made before connecting (neither talks to Redis until used): a bad policy is refused without a server.
  let store: RedisStreamStore;
  let rail: ReplayRail;
  try {
    store = new RedisStreamStore({ client: redis });
    // No trimming: the CLI does not know the retention the application sets, and must not
    // shorten it. An event published with a correlation is indexed, so `lineage` shows it:
    // one script per publish costs an operator nothing.
    const config = { streamPrefix: options.prefix, maxStreamLength: null, lineage: { index: true } };
    rail = new ReplayRail({ store, config: options.channels ? { ...config, channels: options.channels } : config });
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new ConnectError(`cannot reach Redis at ${withoutPassword(url)}: ${(error as Error).message}`);
  }
  return {
    redis,
    store,
    rail,
    prefix: options.prefix,
    close: async () => {
      await rail.close();
      redis.disconnect();
    },
  };
}
