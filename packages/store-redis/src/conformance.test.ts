import { describeEventStore } from '@replayrail/core/testing';
import { describeWithRedis } from '@replayrail/testkit';
import { ioredisAdmin, newIoredis, newNodeRedis } from './test-support/clients.js';
import { redisHarness } from './test-support/harness.js';

describeWithRedis('RedisStreamStore on a real Redis', (url) => {
  describeEventStore('RedisStreamStore with ioredis', async (prefix) => {
    const client = newIoredis(url);
    return redisHarness(prefix, client, ioredisAdmin(newIoredis(url)), async () => void (await client.quit()));
  });

  describeEventStore('RedisStreamStore with node-redis', async (prefix) => {
    const client = await newNodeRedis(url);
    return redisHarness(prefix, client, ioredisAdmin(newIoredis(url)), async () => void (await client.close()));
  });
});
