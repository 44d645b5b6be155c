import { ReplayRail } from '@replayrail/core';
import { describeEventStore } from '@replayrail/core/testing';
import { describeWithRedisServer, type RedisCluster, startRedisCluster, uniquePrefix } from '@replayrail/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';
import { ioredisAdmin, newIoredisCluster, newNodeRedisCluster } from './test-support/clients.js';
import { redisHarness } from './test-support/harness.js';

// A real 3-master Redis Cluster from redis-server binaries on loopback ports.
describeWithRedisServer('RedisStreamStore on a Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('hash-tags a channel stream and its idempotency records into one slot', async () => {
    const client = newIoredisCluster(cluster.startupNodes);
    const store = new RedisStreamStore({ client });
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({ store, config: { streamPrefix } });
    await rail.publish({ channel: 'orders', type: 't', payload: {}, eventId: 'evt-1' });
    const stream = store.streamKey({ prefix: streamPrefix, channel: 'orders' });
    const record = store.idempotencyKey({ prefix: streamPrefix, channel: 'orders' }, 'evt-1');
    expect([stream, record]).toEqual([`${streamPrefix}:{orders}`, `${streamPrefix}:idempotency:{orders}:evt-1`]);
    const [streamSlot, recordSlot] = await Promise.all([
      client.cluster('KEYSLOT', stream),
      client.cluster('KEYSLOT', record),
    ]);
    expect(streamSlot).toBe(recordSlot);
    expect(await client.exists(stream, record)).toBe(2);
    await client.del(stream);
    await client.del(record);
    await rail.close();
    await client.quit();
  });

  it('refuses a cluster client without hash tags, and a shared XREAD', () => {
    const client = newIoredisCluster(cluster.startupNodes);
    expect(() => new RedisStreamStore({ client, hashTags: false })).toThrow(/hashTags/);
    expect(() => new RedisStreamStore({ client, wakeups: 'shared-xread' })).toThrow(
      /wakeups cannot share one XREAD on a cluster/,
    );
    client.disconnect();
  });

  describeEventStore(
    'RedisStreamStore with an ioredis Cluster',
    async (prefix) => {
      const client = newIoredisCluster(cluster.startupNodes);
      return redisHarness(
        prefix,
        client,
        ioredisAdmin(newIoredisCluster(cluster.startupNodes)),
        async () => void (await client.quit()),
      );
    },
    { propertyRuns: 15, stateSeed: 20261206 },
  );

  // What a cluster before Redis 7.0 waits with: a blocking XREAD per wait.
  describeEventStore(
    "RedisStreamStore with an ioredis Cluster, wakeups: 'own-xread'",
    async (prefix) => {
      const client = newIoredisCluster(cluster.startupNodes);
      return redisHarness(
        prefix,
        client,
        ioredisAdmin(newIoredisCluster(cluster.startupNodes)),
        async () => void (await client.quit()),
        { wakeups: 'own-xread' },
      );
    },
    { propertyRuns: 15, stateSeed: 20261206 },
  );

  describeEventStore(
    'RedisStreamStore with a node-redis cluster',
    async (prefix) => {
      const client = await newNodeRedisCluster(cluster.startupNodes);
      return redisHarness(
        prefix,
        client,
        ioredisAdmin(newIoredisCluster(cluster.startupNodes)),
        async () => void (await client.close()),
      );
    },
    { propertyRuns: 15, stateSeed: 20261206 },
  );
});
