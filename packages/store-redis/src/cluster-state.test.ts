import { compareCursors, ReplayRail, type StoredEvent } from '@replayrail/core';
import { KeyedView, keyedPolicy } from '@replayrail/core/testing';
import { describeWithRedisServer, type RedisCluster, startRedisCluster, uniquePrefix } from '@replayrail/testkit';
import calculateSlot from 'cluster-key-slot';
import { afterEach, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';
import { CLUSTER_LIBRARIES, clusterLibraries } from './test-support/clients.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CHANNEL = 'shop:1:orders';
const KEYS = Array.from({ length: 40 }, (_, index) => `order-${index}`);

/** A reader from the snapshot: what it applied, and the events it got after the hand-off. */
interface Reader {
  readonly view: KeyedView;
  readonly after: StoredEvent[];
  start: string | null;
  failure: unknown;
  done: Promise<void>;
}

// The snapshot hand-off (docs/state.md) while the channel's slot moves to another
// primary: the stream, its state hash and sorted set, and its idempotency records
// move key by key, and readers start from snapshots (read in small pages) before,
// during and after. Each must end with the state of a reader that saw the whole history.
describeWithRedisServer('keyed channel state on a Redis Cluster', () => {
  let cluster: RedisCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it.each(clusterLibraries)(
    '%s: hands a snapshot off to the live stream while its slot migrates: every reader ends exact',
    async (library) => {
      cluster = await startRedisCluster(3, 0);
      const nodes = [...cluster.startupNodes];
      const clients = await Promise.all([CLUSTER_LIBRARIES[library](nodes), CLUSTER_LIBRARIES[library](nodes)]);
      const config = { streamPrefix: uniquePrefix(), defaultReplayLimit: 4, channels: [keyedPolicy()] };
      const publisher = new ReplayRail({ store: new RedisStreamStore({ client: clients[0]?.client }), config });
      const server = new ReplayRail({ store: new RedisStreamStore({ client: clients[1]?.client }), config });
      const whole = new KeyedView();
      const published: StoredEvent[] = [];
      let publishing = true;
      let retries = 0;

      // One event after another, each retried with its own event_id until stored.
      const publishing$ = (async () => {
        for (let n = 0; publishing; n++) {
          const key = KEYS[(n * 7) % KEYS.length] as string;
          const type = n % 11 === 10 ? 'order.deleted' : 'order.status';
          for (;;) {
            try {
              const event = await publisher.publish({
                channel: CHANNEL,
                type,
                payload: { order_id: key, n },
                eventId: `e-${n}`,
              });
              published.push(event);
              whole.apply(event);
              break;
            } catch {
              retries++;
              await sleep(20);
            }
          }
        }
      })();

      const readers: Reader[] = [];
      const startReader = async () => {
        const reader: Reader = {
          view: new KeyedView(),
          after: [],
          start: null,
          failure: undefined,
          done: Promise.resolve(),
        };
        readers.push(reader);
        try {
          const subscription = await server.subscribe(CHANNEL, {
            from: 'snapshot',
            onEvent: (event) => {
              reader.view.apply(event);
              if (event.snapshot !== true) reader.after.push(event);
            },
          });
          reader.start = subscription.start;
          reader.done = subscription.ended.then((end) => {
            if (end !== null) reader.failure = end;
          });
          return subscription;
        } catch (error) {
          reader.failure = error;
          return undefined;
        }
      };

      // Started, not awaited, during the migration: the migration goes on meanwhile, as it
      // would on its own, and a page that meets the slot half moved waits (TRYAGAIN).
      const subscriptions: ReturnType<typeof startReader>[] = [];
      await sleep(300);
      subscriptions.push(startReader());
      const slot = calculateSlot(`{${CHANNEL}}`);
      const source = await cluster.ownerOf(slot);
      const target = (await cluster.primaries()).find((node) => node !== source);
      if (target === undefined) throw new Error('no other primary');
      // Keys move in batches; a reader starts from a snapshot between batches.
      await cluster.migrateSlot(slot, target, async () => {
        subscriptions.push(startReader());
        await sleep(50);
      });
      subscriptions.push(startReader());
      const started = await Promise.all(subscriptions);
      await sleep(300);
      publishing = false;
      await publishing$;
      const last = published.at(-1) as StoredEvent;
      // Every reader catches up to the last event, then stops.
      for (const [index, reader] of readers.entries()) {
        for (
          let waited = 0;
          reader.failure === undefined && reader.after.at(-1)?.id !== last.id && waited < 15_000;
          waited += 20
        ) {
          await sleep(20);
        }
        started[index]?.close();
      }
      console.log(
        `slot ${slot} migrated :${source.port} → :${target.port}: ${published.length} events (${retries} retries), ` +
          `${readers.length} readers from snapshots, ${await server.stateSize(CHANNEL)} keys`,
      );
      expect(await cluster.ownerOf(slot)).toBe(target);
      expect(readers.length).toBeGreaterThanOrEqual(3);
      for (const reader of readers) {
        expect(reader.failure).toBeUndefined();
        expect(reader.view.state()).toEqual(whole.state());
        // After the hand-off: every event after the snapshot's cursor, once, in order.
        const expected = published.filter((event) => compareCursors(event.id, reader.start as string) > 0);
        expect(reader.after.map((event) => event.id)).toEqual(expected.map((event) => event.id));
      }
      // The store's own state agrees with the history.
      const final = new KeyedView();
      for await (const event of await server.snapshot(CHANNEL)) final.apply(event);
      expect(final.state()).toEqual(whole.state());
      for (const { close } of clients) await close();
    },
    120_000,
  );
});
