import { RedisStreamStore } from '@replayrail/store-redis';
import { describeWithRedisServer, type RedisCluster, startRedisCluster, uniquePrefix } from '@replayrail/testkit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { rpcSuite } from './test-support/rpc-suite.js';

// The whole RPC suite on a Redis Cluster of 3 primaries this run starts: a
// service's command stream, its group's keys and each client's reply stream sit
// in slots of their own (hash tags), so nothing a call does spans two slots.
describeWithRedisServer('RPC on a Redis Cluster', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(3, 0);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  rpcSuite('RedisStreamStore on a cluster (ioredis)', async () => {
    const client = new Cluster([...(cluster?.startupNodes ?? [])], { redisOptions: { maxRetriesPerRequest: 1 } });
    return {
      store: new RedisStreamStore({ client }),
      prefix: uniquePrefix(),
      // The cluster is thrown away after the suite, keys and all.
      dispose: async () => void (await client.quit()),
    };
  });
});
