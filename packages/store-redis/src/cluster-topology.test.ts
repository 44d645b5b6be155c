import { connect } from 'node:net';
import { describeWithRedisServer, type RedisCluster, startRedisCluster } from '@replayrail/testkit';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { CLUSTER_LIBRARIES, clusterLibraries } from './test-support/clients.js';
import { judge, liveScenario } from './test-support/live-scenario.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Resolves once nothing accepts connections on `port` any more.
async function waitForRefusal(port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => resolve(true));
    });
    if (refused) return;
    await sleep(10);
  }
}

// Channels whose streams (`<prefix>:{<channel>}`) spread over the cluster's slots.
const CHANNELS = Array.from({ length: 24 }, (_, i) => `topology-${i}`);

function tally(results: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) counts[result] = (counts[result] ?? 0) + 1;
  return counts;
}

// Expiry, reset and live reads (docs/architecture.md) under topology changes, on real clusters: subscribers either get
// every event once, in order, or are told stream_reset; never a silent gap.
describeWithRedisServer('the live path through cluster topology changes', () => {
  let cluster: RedisCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  // A server's and a publisher's client on each library.
  const clients = async (library: (typeof clusterLibraries)[number], nodes: RedisCluster['startupNodes']) => {
    const [server, publisher] = await Promise.all([
      CLUSTER_LIBRARIES[library](nodes),
      CLUSTER_LIBRARIES[library](nodes),
    ]);
    return {
      serverClient: server.client,
      publisherClient: publisher.client,
      close: async () => {
        await server.close();
        await publisher.close();
      },
    };
  };

  it.each(clusterLibraries)(
    '%s: a primary killed mid-stream, its replica promoted: every event once, in order, or stream_reset',
    async (library) => {
      cluster = await startRedisCluster(3, 1);
      const { serverClient, publisherClient, close } = await clients(library, cluster.startupNodes);
      const scenario = await liveScenario(serverClient, publisherClient, CHANNELS, 2);
      try {
        await sleep(1_000);
        // The primary of the first channel's slot: its channels are the ones at stake.
        const victimSlot = calculateSlot(`{${CHANNELS[0]}}`);
        const promoted = await cluster.failOver(victimSlot);
        await sleep(2_000);
        await scenario.stopPublishing();
        const stored = await scenario.settle(15_000);
        const results = scenario.subscribers.map((mine) => judge(mine, stored.get(mine.channel) ?? []));
        const lost = [...scenario.acknowledged.entries()].reduce(
          (sum, [channel, events]) =>
            sum + events.filter((event) => !stored.get(channel)?.some((s) => s.id === event.id)).length,
          0,
        );
        console.log(
          `failover to :${promoted.port}: ${scenario.sent} events acknowledged (${scenario.retries} retries), ` +
            `${lost} lost by the failover; subscribers ${JSON.stringify(tally(results))}`,
        );
        expect(results.filter((result) => result !== 'exact' && result !== 'reset')).toEqual([]);
        // Channels on other primaries never noticed.
        const affected = new Set(CHANNELS.filter((channel) => calculateSlot(`{${channel}}`) === victimSlot));
        expect(affected.size).toBeGreaterThan(0);
      } finally {
        await scenario.close();
        await close();
      }
    },
    120_000,
  );

  it.each(clusterLibraries)(
    '%s: a failover to a replica that missed acknowledged writes is stream_reset, never skipped over',
    async (library) => {
      cluster = await startRedisCluster(3, 1);
      const { serverClient, publisherClient, close } = await clients(library, cluster.startupNodes);
      const channel = 'lagging';
      const slot = calculateSlot(`{${channel}}`);
      const primary = await cluster.ownerOf(slot);
      const [replica] = await cluster.replicasOf(primary);
      if (replica === undefined) throw new Error('the primary has no replica');
      const scenario = await liveScenario(serverClient, publisherClient, [], 0);
      const { server, publisher } = scenario;
      const got: string[] = [];
      let end: unknown;
      const subscription = await server.subscribe(channel, {
        from: 'latest',
        onEvent: (event) => got.push(event.id),
        onEnd: (reason) => {
          end = reason;
        },
      });
      const waitFor = async (what: string, check: () => boolean, ms = 30_000) => {
        for (let waited = 0; !check(); waited += 20) {
          if (waited > ms) throw new Error(`timed out waiting for ${what}`);
          await sleep(20);
        }
      };
      try {
        for (let n = 0; n < 5; n++) await publisher.publish({ channel, type: 't', payload: { n } });
        await waitFor('the first five', () => got.length === 5);
        // The replica stops, and the primary drops its replication link, which a stopped
        // replica cannot restore: these five reach the primary and the subscriber only.
        // (SIGSTOP alone is not enough: the kernel would buffer the stream for it.)
        const admin = new Redis(primary.url);
        // The replica surely has the first five (replication is asynchronous)…
        expect(await admin.call('WAIT', '1', '10000')).toBe(1);
        replica.signal('SIGSTOP');
        await admin.call('CLIENT', 'KILL', 'TYPE', 'replica');
        admin.disconnect();
        for (let n = 5; n < 10; n++) await publisher.publish({ channel, type: 't', payload: { n } });
        await waitFor('the next five', () => got.length === 10);
        primary.signal('SIGKILL');
        // Dead before the replica wakes: a replica that reached a dying primary would
        // start a full resync, flush its data, and lose more than this test means to.
        await waitForRefusal(primary.port);
        replica.signal('SIGCONT');
        for (let waited = 0; (await cluster.ownerOf(slot).catch(() => primary)) !== replica; waited += 100) {
          if (waited > 30_000) throw new Error('the replica never took over');
          await sleep(100);
        }
        // The subscriber's cursor names an entry the new primary never had: stream_reset, nothing after.
        await waitFor('the subscription to end', () => end !== undefined);
        expect(end).toMatchObject({ code: 'stream_reset' });
        expect(got).toHaveLength(10);
        // What survived, read from the new primary itself: the five written before the replica stopped.
        const direct = new Redis(replica.url);
        const key = `${server.config.streamPrefix}:{${channel}}`;
        const survivors = (await direct.xrange(key, '-', '+')) as [string, string[]][];
        direct.disconnect();
        expect(survivors.map(([id]) => id)).toEqual(got.slice(0, 5));
        console.log(
          `failover to a lagging replica: 5 acknowledged writes lost, the subscriber told ${String((end as { code: string }).code)}`,
        );
      } finally {
        subscription.close();
        await scenario.close();
        await close();
      }
    },
    120_000,
  );

  it.each(clusterLibraries)(
    '%s: a busy slot migrated to another primary mid-stream: every event once, in order',
    async (library) => {
      cluster = await startRedisCluster(3, 0);
      const { serverClient, publisherClient, close } = await clients(library, cluster.startupNodes);
      const scenario = await liveScenario(serverClient, publisherClient, CHANNELS, 2);
      try {
        await sleep(500);
        const slot = calculateSlot(`{${CHANNELS[0]}}`);
        const source = await cluster.ownerOf(slot);
        const target = (await cluster.primaries()).find((node) => node !== source);
        if (target === undefined) throw new Error('no other primary');
        // Keys move in batches, with events published in between.
        await cluster.migrateSlot(slot, target, async () => {
          await sleep(100);
        });
        await sleep(1_500);
        await scenario.stopPublishing();
        const stored = await scenario.settle(15_000);
        const results = scenario.subscribers.map((mine) => judge(mine, stored.get(mine.channel) ?? []));
        console.log(
          `slot ${slot} migrated :${source.port} → :${target.port}: ${scenario.sent} events (${scenario.retries} retries); ` +
            `subscribers ${JSON.stringify(tally(results))}`,
        );
        expect(await cluster.ownerOf(slot)).toBe(target);
        expect(results.every((result) => result === 'exact')).toBe(true);
      } finally {
        await scenario.close();
        await close();
      }
    },
    120_000,
  );
});
