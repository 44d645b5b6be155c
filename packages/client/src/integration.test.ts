import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { deleteKeysUnder, describeWithRedis, freePort, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { memoryStorage } from './storage.js';
import { ChaosProxy } from './test-support/chaos-proxy.js';
import { ServerProcess, type Transport } from './test-support/server-control.js';
import type { ClientEvent } from './types.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CHANNELS = ['orders', 'kitchen'];

/** Publishes to every channel in turn, from its own connection, until stopped. */
function startPublishing(url: string, prefix: string) {
  const client = new Redis(url);
  const rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: prefix } });
  const published = new Map<string, StoredEvent[]>(CHANNELS.map((channel) => [channel, []]));
  let running = true;
  const done = (async () => {
    for (let n = 0; running; n++) {
      const channel = CHANNELS[n % CHANNELS.length] as string;
      published.get(channel)?.push(await rail.publish({ channel, type: 'test.event', payload: { n } }));
      await sleep(2);
    }
  })();
  return {
    published,
    async stop() {
      running = false;
      await done;
    },
    async dispose() {
      await deleteKeysUnder(client, prefix);
      await rail.close();
    },
  };
}

function subscribeAll(url: string) {
  const client = createClient({
    url,
    storage: memoryStorage(),
    WebSocket: globalThis.WebSocket,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  const received = new Map<string, ClientEvent[]>(CHANNELS.map((channel) => [channel, []]));
  for (const channel of CHANNELS) {
    client.subscribe(
      channel,
      (event) => {
        received.get(channel)?.push(event);
      },
      { from: 'earliest' },
    );
  }
  return { client, received };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Every published event of every channel reached its handler once, in order. */
async function expectEverything(
  published: Map<string, StoredEvent[]>,
  received: Map<string, ClientEvent[]>,
): Promise<void> {
  for (const channel of CHANNELS) {
    const last = published.get(channel)?.at(-1)?.id;
    await until(() => received.get(channel)?.at(-1)?.id === last, `${channel} to catch up`);
    expect(received.get(channel)?.map((event) => event.id)).toEqual(published.get(channel)?.map((event) => event.id));
    expect(received.get(channel)).toEqual(published.get(channel));
  }
}

const TRANSPORTS: Transport[] = ['server-ws', 'adapter-hono'];

describeWithRedis('client against real servers, with Redis', (redisUrl) => {
  for (const transport of TRANSPORTS) {
    describe(transport, () => {
      it('gets every event once, in order, while the server is killed and restarted mid-stream', async () => {
        const prefix = uniquePrefix('rrclient');
        const port = await freePort();
        const server = new ServerProcess(transport, port, redisUrl, prefix);
        await server.start();
        const publisher = startPublishing(redisUrl, prefix);
        const { client, received } = subscribeAll(`ws://127.0.0.1:${port}/ws`);
        const states: string[] = [];
        client.on('state', (state) => states.push(state));
        try {
          const total = () => [...received.values()].reduce((sum, events) => sum + events.length, 0);
          for (let restart = 0; restart < 3; restart++) {
            // Killed mid-stream: while connected and receiving.
            const before = total();
            await until(() => client.state === 'open' && total() >= before + 10, 'events before the kill');
            await sleep(Math.random() * 100);
            await server.kill();
            await sleep(50 + Math.random() * 250);
            await server.start();
          }
          await until(() => client.state === 'open', 'the last reconnect');
          await publisher.stop();
          await expectEverything(publisher.published, received);
          expect(states.filter((state) => state === 'reconnecting')).toHaveLength(3);
        } finally {
          client.close();
          await publisher.stop();
          await server.kill();
          await publisher.dispose();
        }
      });

      it('gets every event once, in order, across 20 random network drops', async () => {
        const prefix = uniquePrefix('rrclient');
        const port = await freePort();
        const server = new ServerProcess(transport, port, redisUrl, prefix);
        await server.start();
        const { proxy, port: proxyPort } = await ChaosProxy.start(port);
        const publisher = startPublishing(redisUrl, prefix);
        const { client, received } = subscribeAll(`ws://127.0.0.1:${proxyPort}/ws`);
        try {
          while (proxy.cuts < 20) {
            await sleep(20 + Math.random() * 130);
            proxy.cut();
          }
          await publisher.stop();
          await expectEverything(publisher.published, received);
        } finally {
          client.close();
          await publisher.stop();
          await proxy.close();
          await server.kill();
          await publisher.dispose();
        }
      });
    });
  }
});
