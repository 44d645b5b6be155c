import { describeEventStore } from '@replayrail/core/testing';
import { describeWithRedis } from '@replayrail/testkit';
import { ioredisAdmin, newIoredis, newNodeRedis } from './test-support/clients.js';
import { redisHarness } from './test-support/harness.js';

// The state hand-off property with a fixed seed on Redis: the same interleavings,
// under real concurrency, on every run (the memory store explores new ones each time).
const SEEDED = { stateSeed: 20261206 };

describeWithRedis('RedisStreamStore on a real Redis', (url) => {
  // The default ('auto': one XREAD shared by every channel), then the other two
  // ways to wait, each on both clients: every guarantee holds whichever wakes reads.
  for (const wakeups of ['auto', 'pubsub', 'own-xread'] as const) {
    const named = wakeups === 'auto' ? '' : `, wakeups: '${wakeups}'`;
    describeEventStore(
      `RedisStreamStore with ioredis${named}`,
      async (prefix) => {
        const client = newIoredis(url);
        return redisHarness(prefix, client, ioredisAdmin(newIoredis(url)), async () => void (await client.quit()), {
          wakeups,
        });
      },
      SEEDED,
    );

    describeEventStore(
      `RedisStreamStore with node-redis${named}`,
      async (prefix) => {
        const client = await newNodeRedis(url);
        return redisHarness(prefix, client, ioredisAdmin(newIoredis(url)), async () => void (await client.close()), {
          wakeups,
        });
      },
      SEEDED,
    );
  }
});
