import { existsSync } from 'node:fs';
import { hasRedisServerBinary, startRedisServer, waitForRedis } from './redis-server.js';

/** Where the test Redis came from, and how to stop it if this run started it. */
export interface FoundRedis {
  readonly url: string;
  readonly source: 'REDIS_URL' | 'local 6379' | 'testcontainers' | 'redis-server';
  stop?(): Promise<void>;
}

/** How to get the Redis-backed suites to run, printed when none was found. */
export const HOW_TO_ENABLE_REDIS =
  'Redis-backed tests are skipped: no Redis found. Enable them with one of: ' +
  'REDIS_URL=redis://host:port; a Redis on 127.0.0.1:6379 (`docker compose up -d redis`); ' +
  'a Docker engine (testcontainers); or `redis-server` on PATH (e.g. `apt-get install redis-server`).';

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    await waitForRedis(url, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

function dockerEngineMayRun(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/**
 * Finds a Redis for the tests, in this order: `REDIS_URL`; a server answering on
 * 127.0.0.1:6379; a testcontainers Redis where a Docker engine answers; a
 * `redis-server` from PATH started on a free port. Null when there is none.
 */
export async function findRedis(): Promise<FoundRedis | null> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    // An explicit URL that does not answer is a setup error, not a reason to look elsewhere.
    await waitForRedis(fromEnv, 5_000);
    return { url: fromEnv, source: 'REDIS_URL' };
  }
  if (await answers('redis://127.0.0.1:6379', 500)) return { url: 'redis://127.0.0.1:6379', source: 'local 6379' };
  if (dockerEngineMayRun()) {
    try {
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer('redis:7.4-alpine').start();
      return {
        url: container.getConnectionUrl(),
        source: 'testcontainers',
        stop: async () => void (await container.stop()),
      };
    } catch {
      // No engine answered after all; fall through to a local binary.
    }
  }
  if (await hasRedisServerBinary()) {
    const server = await startRedisServer();
    return { url: server.url, source: 'redis-server', stop: () => server.stop() };
  }
  return null;
}
