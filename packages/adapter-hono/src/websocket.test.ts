import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { redisStoreFixture, redisUrl, socketSuite, uniquePrefix } from '@replayrail/testkit';
import { honoTransport } from './test-support/node-app.js';

// The same suite server-ws runs, over @hono/node-server and @hono/node-ws.
socketSuite('adapter-hono on Node, memory store', honoTransport, async () => ({
  store: new MemoryEventStore(),
  prefix: uniquePrefix(),
  dispose: async () => {},
}));

const url = redisUrl();
if (url !== null) {
  socketSuite(
    'adapter-hono on Node, Redis store',
    honoTransport,
    redisStoreFixture(url, (client) => new RedisStreamStore({ client })),
  );
}
