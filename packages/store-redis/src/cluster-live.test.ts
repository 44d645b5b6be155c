import { ReplayRail, type StoredEvent, type Subscription } from '@replayrail/core';
import { describeWithRedisServer, type RedisCluster, startRedisCluster, uniquePrefix } from '@replayrail/testkit';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SERVER_NAME = 'rr-live-server';
// The store names its wake-up connections after its client: `<name>:wakeups`.
const WAKEUPS_NAME = `${SERVER_NAME}:wakeups`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** A subscriber and what it got. */
interface Received {
  readonly channel: string;
  readonly events: StoredEvent[];
  subscription: Subscription;
}

// One read path per channel on a cluster (docs/architecture.md, "Live fanout and wake-ups"): the live path's cost does not grow with channels. One
// server process (this one) subscribed to 1,000 busy channels, a publisher on
// another client, on a real cluster of 3 primaries with a replica each.
describeWithRedisServer('the live path on a Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3, 1);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  // The server's connections on every node: its client's and its wake-up subscribers.
  async function serverConnections(): Promise<{ client: number; wakeups: number }> {
    let client = 0;
    let wakeups = 0;
    for (const node of cluster.nodes) {
      const admin = new Redis(node.url);
      try {
        const list = (await admin.client('LIST')) as string;
        client += list.split('\n').filter((line) => line.includes(` name=${SERVER_NAME} `)).length;
        wakeups += list.split('\n').filter((line) => line.includes(` name=${WAKEUPS_NAME} `)).length;
      } finally {
        admin.disconnect();
      }
    }
    return { client, wakeups };
  }

  // The server's and the publisher's clients, by library: the server's named SERVER_NAME.
  const CLIENTS = {
    'ioredis Cluster': {
      seconds: 30,
      make: async (name?: string) => {
        const client = new Cluster([...cluster.startupNodes], name ? { redisOptions: { connectionName: name } } : {});
        return { client, close: async () => client.disconnect() };
      },
    },
    'node-redis createCluster': {
      seconds: 10,
      make: async (name?: string) => {
        const client = createCluster({
          rootNodes: cluster.startupNodes.map((node) => ({ url: `redis://${node.host}:${node.port}` })),
          ...(name && { defaults: { name } }),
        });
        client.on('error', () => {});
        await client.connect();
        return { client, close: async () => client.destroy() };
      },
    },
  } as const;

  it.each(Object.keys(CLIENTS) as (keyof typeof CLIENTS)[])(
    '%s: 1,000 channels × 5 subscribers at 200 events/s: every event once, in order, on a fixed set of connections',
    async (library) => {
      const streamPrefix = uniquePrefix();
      const server = await CLIENTS[library].make(SERVER_NAME);
      const publisherSide = await CLIENTS[library].make();
      const serverClient = server.client;
      const publisherClient = publisherSide.client;
      const store = new RedisStreamStore({ client: serverClient });
      const rail = new ReplayRail({ store, config: { streamPrefix, maxStreamLength: null } });
      const publisher = new ReplayRail({
        store: new RedisStreamStore({ client: publisherClient }),
        config: { streamPrefix, maxStreamLength: null },
      });
      const CHANNELS = 1_000;
      const PER_CHANNEL = 5;
      const RATE = 200;
      const SECONDS = Number(process.env.REPLAYRAIL_CLUSTER_SECONDS ?? CLIENTS[library].seconds);
      const received: Received[] = [];
      const latencies: number[] = [];
      const subscribe = async (channel: string) => {
        for (let n = 0; n < PER_CHANNEL; n++) {
          const mine: Received = { channel, events: [], subscription: undefined as never };
          mine.subscription = await rail.subscribe(channel, {
            from: 'latest',
            onEvent: (event) => {
              mine.events.push(event);
              latencies.push(Date.now() - (event.payload.sent as number));
            },
          });
          received.push(mine);
        }
      };
      const published = new Map<string, StoredEvent[]>();
      const publish = async (channel: string) => {
        const event = await publisher.publish({ channel, type: 'tick', payload: { sent: Date.now() } });
        published.set(channel, [...(published.get(channel) ?? []), event]);
      };
      try {
        // 20 busy channels first: the connections then.
        const channels = Array.from({ length: CHANNELS }, (_, i) => `ch-${i}`);
        for (const channel of channels.slice(0, 20)) await subscribe(channel);
        for (const channel of channels.slice(0, 20)) await publish(channel);
        await sleep(200);
        const withTwenty = await serverConnections();
        // Then 1,000, subscribed 50 at a time.
        for (let i = 20; i < CHANNELS; i += 50) await Promise.all(channels.slice(i, i + 50).map(subscribe));
        // 200 events/s over random channels, each sent on its own schedule.
        const start = Date.now();
        const sending: Promise<void>[] = [];
        for (let n = 0; n < RATE * SECONDS; n++) {
          const due = start + (n * 1000) / RATE;
          if (due > Date.now()) await sleep(due - Date.now());
          sending.push(publish(channels[Math.floor(Math.random() * CHANNELS)] as string));
        }
        await Promise.all(sending);
        const lastPublished = Date.now();
        const complete = () =>
          received.every((mine) => mine.events.length === (published.get(mine.channel)?.length ?? 0));
        for (let i = 0; i < 2_000 && !complete(); i++) await sleep(10);
        const deliveredAfterMs = Date.now() - lastPublished;
        const withThousand = await serverConnections();

        // Every subscriber: exactly its channel's events, once each, in cursor order.
        for (const mine of received) {
          const expected = [...(published.get(mine.channel) ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));
          expect(mine.events.map((event) => event.id)).toEqual(expected.map((event) => event.id));
          expect(mine.subscription.closed).toBe(false);
        }
        const sorted = latencies.sort((a, b) => a - b);
        console.log(
          `${library}, ${CHANNELS} channels × ${PER_CHANNEL}, ${RATE}/s for ${SECONDS} s: ${latencies.length} deliveries, ` +
            `p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1)} ms; ` +
            `all delivered ${deliveredAfterMs} ms after the last publish; server connections with 20 busy channels ` +
            `${JSON.stringify(withTwenty)}, with ${CHANNELS}: ${JSON.stringify(withThousand)}`,
        );
        expect(latencies.length).toBe(
          PER_CHANNEL * [...published.values()].reduce((sum, list) => sum + list.length, 0),
        );
        // The connections do not grow with the channels: one per primary for wake-ups.
        expect(withThousand).toEqual(withTwenty);
        expect(withThousand.wakeups).toBe(3);
        expect(store.blockingConnections).toBe(0);
      } finally {
        for (const mine of received) mine.subscription.close();
        await rail.close();
        await publisher.close();
        await server.close();
        await publisherSide.close();
      }
    },
    180_000,
  );
});
