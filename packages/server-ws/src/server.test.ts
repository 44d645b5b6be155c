import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { redisUrl, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { socketSuite } from './test-support/socket-suite.js';

socketSuite('memory store', async () => ({
  store: new MemoryEventStore(),
  prefix: uniquePrefix(),
  dispose: async () => {},
}));

const url = redisUrl();
if (url !== null) {
  socketSuite('Redis store', async () => {
    const client = new Redis(url);
    const prefix = uniquePrefix();
    return {
      store: new RedisStreamStore({ client }),
      prefix,
      dispose: async () => {
        const keys = await client.keys(`${prefix}*`);
        if (keys.length > 0) await client.del(...keys);
        await client.quit();
      },
    };
  });
}
