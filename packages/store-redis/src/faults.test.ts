import { ReplayRail } from '@replayrail/core';
import { StoreUnavailableError } from '@replayrail/core/errors';
import { describeWithRedisServer, type RedisServer, startRedisServer, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';

// Each test runs against its own redis-server process, which it stops (SIGSTOP),
// kills and restarts; the shared Redis on 6379 is never touched.
describeWithRedisServer('RedisStreamStore when Redis stops, dies and comes back', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const clients = {
    ioredis: async () => {
      const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      return { client, close: async () => client.disconnect() };
    },
    'node-redis': async () => {
      const client = createClient({ url: server.url });
      client.on('error', () => {});
      await client.connect();
      return { client, close: async () => client.destroy() };
    },
  };

  for (const [name, connect] of Object.entries(clients)) {
    describe(name, () => {
      it('fails a publish and a replay to a stopped server with StoreUnavailableError, then recovers', async () => {
        const { client, close } = await connect();
        const rail = new ReplayRail({
          store: new RedisStreamStore({ client, commandTimeoutMs: 300 }),
          config: { streamPrefix: uniquePrefix() },
        });
        const order = { channel: 'orders', type: 'order.created', payload: { n: 1 }, eventId: 'evt-stop' };
        await rail.publish({ channel: 'orders', type: 'warm', payload: {} });
        server.signal('SIGSTOP');
        try {
          await expect(rail.publish(order)).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(rail.replay('orders')).rejects.toBeInstanceOf(StoreUnavailableError);
          await expect(rail.healthcheck()).resolves.toMatchObject({ ok: false });
        } finally {
          server.signal('SIGCONT');
        }
        // The timed-out publish may or may not have landed; a retry with its eventId
        // leaves exactly one copy either way.
        await rail.publish(order);
        const { events } = await rail.replay('orders');
        expect(events.filter((event) => event.event_id === 'evt-stop')).toHaveLength(1);
        expect(await rail.healthcheck()).toEqual({ ok: true });
        await rail.close();
        await close();
      });

      it('fails a blocking read on a stopped server within blockMs plus the timeout, then recovers', async () => {
        const { client, close } = await connect();
        const store = new RedisStreamStore({ client, commandTimeoutMs: 300 });
        const rail = new ReplayRail({ store, config: { streamPrefix: uniquePrefix() } });
        const first = await rail.publish({ channel: 'live', type: 't', payload: {} });
        const pending = rail.read('live', { after: first.id, blockMs: 200 });
        await new Promise((resolve) => setTimeout(resolve, 50));
        server.signal('SIGSTOP');
        try {
          await expect(pending).rejects.toBeInstanceOf(StoreUnavailableError);
        } finally {
          server.signal('SIGCONT');
        }
        const waiting = rail.read('live', { after: first.id, blockMs: 5_000 });
        const second = await rail.publish({ channel: 'live', type: 't', payload: {} });
        expect((await waiting).map((event) => event.id)).toEqual([second.id]);
        await rail.close();
        await close();
      });

      it('reports a killed server as unavailable and works again after a restart, with the same store', async () => {
        const { client, close } = await connect();
        const store = new RedisStreamStore({ client, commandTimeoutMs: 500 });
        const rail = new ReplayRail({ store, config: { streamPrefix: uniquePrefix() } });
        await rail.publish({ channel: 'crash', type: 't', payload: {} });
        const reading = rail.read('crash', { after: '$', blockMs: 5_000 });
        await new Promise((resolve) => setTimeout(resolve, 50));
        server.signal('SIGKILL');
        await expect(reading).rejects.toBeInstanceOf(StoreUnavailableError);
        const order = { channel: 'crash', type: 't', payload: {}, eventId: 'evt-crash' };
        await expect(rail.publish(order)).rejects.toBeInstanceOf(StoreUnavailableError);
        await server.restart();
        // The client reconnects by itself; the same store serves again. (A client may
        // also send the timed-out publish once it reconnects: the eventId makes the
        // retry below and that late copy one event.)
        let published: Awaited<ReturnType<typeof rail.publish>> | undefined;
        for (let attempt = 0; attempt < 50 && published === undefined; attempt++) {
          published = await rail.publish(order).catch(async () => {
            await new Promise((resolve) => setTimeout(resolve, 100));
            return undefined;
          });
        }
        expect(published).toBeDefined();
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect((await rail.replay('crash')).events.map((event) => event.event_id)).toEqual(['evt-crash']);
        await rail.close();
        await close();
      });
    });
  }
});
