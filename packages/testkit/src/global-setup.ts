import type { TestProject } from 'vitest/node';
import { findRedis, HOW_TO_ENABLE_REDIS } from './find-redis.js';
import './provided.js';

/**
 * vitest global setup: finds one Redis for the whole run and hands its URL to the
 * tests. With REPLAYRAIL_REQUIRE_REDIS=1 (set by .ci/run) a missing Redis fails
 * the run instead of skipping the Redis-backed suites.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const found = await findRedis();
  if (found === null) {
    if (process.env.REPLAYRAIL_REQUIRE_REDIS === '1') {
      throw new Error(`REPLAYRAIL_REQUIRE_REDIS=1 but no Redis was found. ${HOW_TO_ENABLE_REDIS}`);
    }
    console.warn(`\n⚠ ${HOW_TO_ENABLE_REDIS}\n`);
  } else {
    console.log(`Redis-backed tests use ${found.url} (${found.source})`);
  }
  project.provide('redisUrl', found?.url ?? null);
  return async () => {
    await found?.stop?.();
  };
}
