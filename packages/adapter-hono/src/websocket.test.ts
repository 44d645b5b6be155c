import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { redisStoreFixture, redisUrl, socketSuite, storeFixture } from '@replayrail/testkit';
import { honoTransport } from './test-support/node-app.js';
import { nodeServer2Transport } from './test-support/node-server-2.js';

// The same suite server-ws runs, over @hono/node-server + @hono/node-ws, and over
// @hono/node-server 2's own WebSocket support.
const memory = storeFixture(() => new MemoryEventStore());
socketSuite('adapter-hono on @hono/node-ws, memory store', honoTransport, memory);
socketSuite('adapter-hono on @hono/node-server 2, memory store', nodeServer2Transport, memory);

const url = redisUrl();
if (url !== null) {
  const redis = redisStoreFixture(url, (client) => new RedisStreamStore({ client }));
  socketSuite('adapter-hono on @hono/node-ws, Redis store', honoTransport, redis);
  socketSuite('adapter-hono on @hono/node-server 2, Redis store', nodeServer2Transport, redis);
}
