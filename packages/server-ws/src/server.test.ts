import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { redisStoreFixture, redisUrl, socketSuite, storeFixture } from '@replayrail/testkit';
import { serverWs } from './test-support/server-ws-transport.js';

socketSuite(
  'server-ws, memory store',
  serverWs,
  storeFixture(() => new MemoryEventStore()),
);

const url = redisUrl();
if (url !== null) {
  socketSuite(
    'server-ws, Redis store',
    serverWs,
    redisStoreFixture(url, (client) => new RedisStreamStore({ client })),
  );
}
