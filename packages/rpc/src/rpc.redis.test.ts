import { RedisStreamStore } from '@replayrail/store-redis';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { rpcSuite } from './test-support/rpc-suite.js';

describeWithRedis('RPC on a real Redis', (url) => {
  rpcSuite('RedisStreamStore with ioredis', async () => {
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    const prefix = uniquePrefix();
    return {
      store: new RedisStreamStore({ client }),
      prefix,
      dispose: async () => {
        await deleteKeysUnder(client, prefix);
        await client.quit();
      },
    };
  });

  rpcSuite('RedisStreamStore with node-redis', async () => {
    const client = createClient({ url });
    client.on('error', () => {});
    await client.connect();
    const admin = new Redis(url);
    const prefix = uniquePrefix();
    return {
      store: new RedisStreamStore({ client }),
      prefix,
      dispose: async () => {
        await client.close();
        await deleteKeysUnder(admin, prefix);
        await admin.quit();
      },
    };
  });
});
