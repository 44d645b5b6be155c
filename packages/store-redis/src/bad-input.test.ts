import { ReplayRail } from '@replayrail/core';
import { InvalidChannelError } from '@replayrail/core/errors';
import { describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';
import { recordingProxy } from './test-support/recording-client.js';

const UNSAFE_CHANNELS = [
  'orders*',
  '*',
  '{orders}',
  'a{b',
  'a}b',
  'has space',
  'tab\there',
  'new\nline',
  'nul\u0000byte',
  'bell\u0007',
  'x'.repeat(10_000),
  '..',
  'a/../b',
  'a/./b',
  '/leading',
  'idempotency:evt-1',
  '',
];

describeWithRedis('RedisStreamStore and bad input', (url) => {
  let client: Redis;
  const sent: string[][] = [];
  beforeAll(() => {
    client = new Redis(url);
  });
  afterAll(async () => {
    await client.quit();
  });

  const recordingClient = () => recordingProxy(client, sent);

  it('rejects unsafe channel names before any Redis call', async () => {
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client: recordingClient() }),
      config: { streamPrefix: uniquePrefix() },
    });
    sent.length = 0;
    for (const channel of UNSAFE_CHANNELS) {
      await expect(rail.publish({ channel, type: 't', payload: {} })).rejects.toBeInstanceOf(InvalidChannelError);
      await expect(rail.replay(channel)).rejects.toBeInstanceOf(InvalidChannelError);
      await expect(rail.read(channel, { after: '$', blockMs: 0 })).rejects.toBeInstanceOf(InvalidChannelError);
      await expect(rail.latestCursor(channel)).rejects.toBeInstanceOf(InvalidChannelError);
    }
    expect(sent).toEqual([]);
  });

  it('writes no key outside its prefix, whatever valid names it is given', async () => {
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client: recordingClient() }),
      config: { streamPrefix },
    });
    sent.length = 0;
    const channels = ['a', 'a:b', 'a/b/c', '-', '_.-:', 'x'.repeat(256), '...x', 'idempotency-not-reserved'];
    // Concurrent, so the store's pipelining is exercised too.
    await Promise.all(
      channels.flatMap((channel, index) => [
        rail.publish({ channel, type: 'type:with.dots-and_more', payload: { k: 'v' }, eventId: `id-${index}` }),
        rail.publish({ channel, type: 'plain', payload: { k: 'v' } }),
      ]),
    );
    const written = sent.flatMap((args) => {
      if (args[0] === 'XADD') return [args[1] as string];
      if (args[0] === 'EVALSHA' || args[0] === 'EVAL') return args.slice(3, 3 + Number(args[2]));
      return [];
    });
    expect(written.length).toBeGreaterThanOrEqual(channels.length * 3);
    for (const key of written) expect(key.startsWith(`${streamPrefix}:`)).toBe(true);
    const keys = await client.keys(`${streamPrefix}*`);
    expect(keys.every((key) => key.startsWith(`${streamPrefix}:`))).toBe(true);
    await client.del(...keys);
  });

  it('returns a short blocking read on time while a long one waits on the same channel', async () => {
    const store = new RedisStreamStore({ client });
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({ store, config: { streamPrefix } });
    const returned: string[] = [];
    const long = rail.read('shared', { after: '0-0', blockMs: 10_000 });
    void long.then(() => returned.push('long'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Covered by the running XREAD's key and cursor, but due long before it returns:
    // it comes back empty while the long read still waits.
    expect(await rail.read('shared', { after: '0-0', blockMs: 100 })).toEqual([]);
    returned.push('short');
    expect(returned).toEqual(['short']);
    const event = await rail.publish({ channel: 'shared', type: 't', payload: {} });
    expect((await long).map((e) => e.id)).toEqual([event.id]);
    await rail.close();
    await client.del(`${streamPrefix}:shared`);
  });

  it("with wakeups: 'own-xread', waits one connection per read, within the cap", async () => {
    const store = new RedisStreamStore({ client, maxBlockingConnections: 3, wakeups: 'own-xread' });
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({ store, config: { streamPrefix } });
    const channels = ['p0', 'p1', 'p2', 'p3', 'p4'];
    const reads = channels.map((channel) => rail.read(channel, { after: '0-0', blockMs: 5_000 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.blockingConnections).toBe(3);
    const events = [];
    for (const channel of channels) events.push(await rail.publish({ channel, type: 't', payload: {} }));
    const results = await Promise.all(reads);
    for (const [i, result] of results.entries()) expect(result.map((e) => e.id)).toEqual([events[i]?.id]);
    await rail.close();
    await client.del(...channels.map((channel) => `${streamPrefix}:${channel}`));
  });

  it('waits on one blocking connection however many reads, of however many channels, wait', async () => {
    const store = new RedisStreamStore({ client, maxBlockingConnections: 3 });
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({ store, config: { streamPrefix } });
    const channels = Array.from({ length: 12 }, (_, i) => `crowd${i}`);
    const reads = channels.map((channel) => rail.read(channel, { after: '0-0', blockMs: 5_000 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.blockingConnections).toBe(1);
    // Each channel wakes on its own publish, the first and the last waiter alike.
    const events = [];
    for (const channel of channels) events.push(await rail.publish({ channel, type: 't', payload: {} }));
    const results = await Promise.all(reads);
    for (const [i, result] of results.entries()) expect(result.map((e) => e.id)).toEqual([events[i]?.id]);
    expect(store.blockingConnections).toBe(1);
    await rail.close();
    expect(store.blockingConnections).toBe(0);
    await client.del(...channels.map((channel) => `${streamPrefix}:${channel}`));
  });

  it("with wakeups: 'pubsub', waits on one subscriber connection and none of the pool's", async () => {
    const store = new RedisStreamStore({ client, maxBlockingConnections: 3, wakeups: 'pubsub' });
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({ store, config: { streamPrefix } });
    const channels = Array.from({ length: 12 }, (_, i) => `heard${i}`);
    const reads = channels.map((channel) => rail.read(channel, { after: '0-0', blockMs: 5_000 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([store.wakeupConnections, store.blockingConnections]).toEqual([1, 0]);
    const events = [];
    for (const channel of channels) events.push(await rail.publish({ channel, type: 't', payload: {} }));
    const results = await Promise.all(reads);
    for (const [i, result] of results.entries()) expect(result.map((e) => e.id)).toEqual([events[i]?.id]);
    await rail.close();
    expect([store.wakeupConnections, store.blockingConnections]).toEqual([0, 0]);
    await client.del(...channels.map((channel) => `${streamPrefix}:${channel}`));
  });
});
