import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { redisStoreFixture, redisUrl, socketSuite, storeFixture } from '@replayrail/testkit';
import { honoTransportOn, NODE_HELPERS } from './test-support/node-app.js';
import { nodeServer2Transport } from './test-support/node-server-2.js';

// The same suite server-ws runs, over @hono/node-server with each Node helper (the
// adapter's own and @hono/node-ws), and over @hono/node-server 2's own WebSocket support.
const memory = storeFixture(() => new MemoryEventStore());
for (const [name, helper] of Object.entries(NODE_HELPERS)) {
  socketSuite(`adapter-hono on ${name}, memory store`, honoTransportOn(helper), memory);
}
socketSuite('adapter-hono on @hono/node-server 2, memory store', nodeServer2Transport, memory);

const url = redisUrl();
if (url !== null) {
  const redis = redisStoreFixture(url, (client) => new RedisStreamStore({ client }));
  for (const [name, helper] of Object.entries(NODE_HELPERS)) {
    socketSuite(`adapter-hono on ${name}, Redis store`, honoTransportOn(helper), redis);
  }
  socketSuite('adapter-hono on @hono/node-server 2, Redis store', nodeServer2Transport, redis);
}
