// A Durable Streams server on ReplayRail: streams under /v1/stream/*, the rail's
// channels read-only under /v1/channel/*, and the Hono adapter's routes beside them
// (POST /events/<channel> publishes an event to a channel). Built packages are needed
// first (`pnpm build` at the repository's root).
//
//   PORT                  where it listens (default 4437, the protocol's default port)
//   REDIS_URL             the Redis it keeps streams in; unset: in memory, gone when it stops
//   LONG_POLL_TIMEOUT_MS  how long a long-poll waits for data before answering 204 (default 3000)
//   STREAM_PREFIX         the key prefix of everything it keeps (default rr, the rail's)
//
//   node packages/durable-streams/examples/server.mjs

import { serve } from '@hono/node-server';
import { createReplayRailRoutes } from '@replayrail/adapter-hono';
import { ReplayRail } from '@replayrail/core';
import { durableStreams } from '@replayrail/durable-streams';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Hono } from 'hono';
import { Redis } from 'ioredis';

function integerFromEnv(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^[0-9]+$/.test(value)) {
    console.error(`${name} must be a whole number, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return Number(value);
}

const port = integerFromEnv('PORT', 4437);
const longPollTimeoutMs = integerFromEnv('LONG_POLL_TIMEOUT_MS', 3000);
const redisUrl = process.env.REDIS_URL;
const streamPrefix = process.env.STREAM_PREFIX || undefined;

const store = redisUrl
  ? new RedisStreamStore({ client: new Redis(redisUrl), closeClient: true })
  : new MemoryEventStore();
const rail = new ReplayRail({ store, config: { streamPrefix } });
const streams = durableStreams(rail, { longPollTimeoutMs });
// Events are published to channels through the rail: here, the Hono adapter's HTTP routes.
const events = createReplayRailRoutes({ rail });

const app = new Hono();
app.get('/', (c) =>
  c.text(
    'Durable Streams on ReplayRail: streams at /v1/stream/<path> (PUT, POST, GET, HEAD, DELETE), ' +
      'channels read-only at /v1/channel/<channel>, events published at POST /events/<channel>\n',
  ),
);
app.route('/', streams.app);
app.route('/', events.app);

const server = serve({ fetch: app.fetch, port });
server.once('listening', () => {
  console.log(
    `Durable Streams on ReplayRail: http://localhost:${port}/v1/stream/ (${redisUrl ? 'Redis' : 'memory'} store, ` +
      `long-poll ${longPollTimeoutMs} ms)`,
  );
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await streams.close();
  await events.close();
  server.close();
  server.closeAllConnections?.();
  await rail.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
