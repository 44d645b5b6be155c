import { compareCursors, ReplayRail, type StoredEvent, type Subscription } from '@replayrail/core';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

describeWithRedis('live subscriptions on a real Redis', (url) => {
  let prefix: string;
  let admin: Redis;
  beforeAll(() => {
    prefix = uniquePrefix();
    admin = new Redis(url);
  });
  afterAll(async () => {
    await deleteKeysUnder(admin, prefix);
    await admin.quit();
  });

  it('30 channels: subscribers come and go at random during concurrent publishing, each gets its exact sequence', async () => {
    // Exercises the shared blocking read: waits join and leave the running XREAD
    // (CLIENT UNBLOCK) all the time, on many keys, while events keep arriving.
    const streamPrefix = `${prefix}-channels`;
    const subscriberClient = new Redis(url);
    const publisherClient = new Redis(url);
    const store = new RedisStreamStore({ client: subscriberClient });
    const rail = new ReplayRail({
      store,
      config: { streamPrefix, maxStreamLength: null, defaultReplayLimit: 7, readBatchSize: 5, readBlockMs: 2_000 },
    });
    const publisher = new ReplayRail({
      store: new RedisStreamStore({ client: publisherClient }),
      config: { streamPrefix, maxStreamLength: null },
    });
    const channels = Array.from({ length: 30 }, (_, i) => `c${i}`);
    let publishing = true;
    const writers = Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let n = 0; publishing; n++) {
          await publisher.publish({
            channel: channels[Math.floor(Math.random() * channels.length)] as string,
            type: 't',
            payload: { n },
          });
          if (n % 5 === 0) await tick(1);
        }
      }),
    );
    const subscribers: { channel: string; after: string; received: StoredEvent[]; subscription: Subscription }[] = [];
    for (let i = 0; i < 120; i++) {
      const channel = channels[Math.floor(Math.random() * channels.length)] as string;
      const after = Math.random() < 0.3 ? '0-0' : await rail.latestCursor(channel);
      const received: StoredEvent[] = [];
      const subscription = await rail.subscribe(channel, { after, onEvent: (event) => received.push(event) });
      subscribers.push({ channel, after, received, subscription });
      // Some leave early: their channel's feed may stop and start again.
      if (Math.random() < 0.3) {
        const leaving = subscribers[Math.floor(Math.random() * subscribers.length)];
        leaving?.subscription.close();
      }
      await tick(Math.floor(Math.random() * 8));
    }
    publishing = false;
    await writers;
    expect(store.blockingConnections).toBe(1);
    for (const subscriber of subscribers) {
      if (subscriber.subscription.closed) continue;
      const all: StoredEvent[] = [];
      for await (const event of publisher.replayAll(subscriber.channel, { after: subscriber.after })) all.push(event);
      await until(() => subscriber.received.length >= all.length, 'a subscriber to catch up');
      expect(subscriber.received.map((event) => event.id)).toEqual(all.map((event) => event.id));
      subscriber.subscription.close();
    }
    // A subscriber that left got a prefix of its sequence, in order, once each.
    for (const subscriber of subscribers) {
      const ids = subscriber.received.map((event) => event.id);
      expect(ids).toEqual([...new Set(ids)].sort(compareCursors));
    }
    expect(rail.liveChannels).toBe(0);
    await rail.close();
    await publisher.close();
    await subscriberClient.quit();
    await publisherClient.quit();
  });

  it('50 subscribers joining at random cursors during concurrent publishing each get their exact sequence', async () => {
    const streamPrefix = `${prefix}-race`;
    const subscriberClient = new Redis(url);
    const publisherClient = new Redis(url);
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client: subscriberClient }),
      config: { streamPrefix, maxStreamLength: null, defaultReplayLimit: 7, readBatchSize: 5 },
    });
    const publisher = new ReplayRail({
      store: new RedisStreamStore({ client: publisherClient }),
      config: { streamPrefix, maxStreamLength: null },
    });
    const published: StoredEvent[] = [];
    for (let n = 0; n < 20; n++)
      published.push(await publisher.publish({ channel: 'race', type: 't', payload: { n } }));

    // Publish 400 more from another connection, 4 at a time, while subscribers join.
    let next = 20;
    const publishing = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < 420) {
          const n = next++;
          published.push(await publisher.publish({ channel: 'race', type: 't', payload: { n } }));
          if (n % 10 === 0) await tick(1);
        }
      }),
    );
    const subscribers: { after: string; received: StoredEvent[]; subscription: Subscription }[] = [];
    for (let i = 0; i < 50; i++) {
      const known = [...published].sort((a, b) => compareCursors(a.id, b.id));
      const pick = Math.floor(Math.random() * (known.length + 1));
      const after = pick === 0 ? '0-0' : (known[pick - 1] as StoredEvent).id;
      const received: StoredEvent[] = [];
      const subscription = await rail.subscribe('race', { after, onEvent: (event) => received.push(event) });
      subscribers.push({ after, received, subscription });
      await tick(Math.floor(Math.random() * 5));
    }
    await publishing;
    const all = (await publisher.replay('race', { after: '0-0', limit: 1000 })).events;
    expect(all).toHaveLength(420);
    for (const subscriber of subscribers) {
      const expected = all.filter((event) => compareCursors(event.id, subscriber.after) > 0);
      await until(() => subscriber.received.length >= expected.length, 'a subscriber to catch up');
      expect(subscriber.received.map((event) => event.id)).toEqual(expected.map((event) => event.id));
      subscriber.subscription.close();
    }
    expect(rail.liveChannels).toBe(0);
    await rail.close();
    await publisher.close();
    await subscriberClient.quit();
    await publisherClient.quit();
  });

  it('holds the same number of Redis connections for 1 subscriber and for 500', async () => {
    const name = `${prefix}-conn`;
    const client = new Redis(url, { connectionName: name });
    const rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: name } });
    const connections = async (): Promise<number> =>
      ((await admin.client('LIST')) as string).split('\n').filter((line) => line.includes(` name=${name} `)).length;
    const subscriptions = [await rail.subscribe('crowd', { from: 'latest', onEvent: () => {} })];
    await tick(50);
    const withOne = await connections();
    for (let i = 0; i < 499; i++)
      subscriptions.push(await rail.subscribe('crowd', { from: 'latest', onEvent: () => {} }));
    await tick(50);
    const withFiveHundred = await connections();
    expect(withOne).toBeGreaterThanOrEqual(2); // the client and the feed's blocking connection
    expect(withFiveHundred).toBe(withOne);
    for (const subscription of subscriptions) subscription.close();
    await rail.close();
    await client.quit();
  });
});
