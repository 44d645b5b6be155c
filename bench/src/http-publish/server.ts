/**
 * @module
 * The HTTP benchmark's server process: `@replayrail/adapter-hono` on
 * `@hono/node-server`, on the memory or the Redis store, and the same rail's
 * `publish` called directly (the ceiling). Answers the driver over IPC.
 */

import type { AddressInfo } from 'node:net';
import { serve as serveHttp } from '@hono/node-server';
import { createReplayRailRoutes } from '@replayrail/adapter-hono';
import { ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { serve } from '../ipc.js';
import { type HttpStoreKind, publishBody, REDIS_URL } from './shared.js';

let rail: ReplayRail | undefined;
let stop = async (): Promise<void> => {};
let cpuMark = process.cpuUsage();

async function start(args: { store: HttpStoreKind; prefix: string }): Promise<number> {
  const client = args.store === 'redis' ? new Redis(REDIS_URL) : undefined;
  const store = client ? new RedisStreamStore({ client }) : new MemoryEventStore();
  rail = new ReplayRail({ store, config: { streamPrefix: args.prefix, maxStreamLength: 100_000 } });
  const routes = createReplayRailRoutes({ rail });
  const app = new Hono<{ Bindings: { incoming: AsyncIterable<Uint8Array> } }>();
  // The HTTP stack alone: read the body as the adapter does, parse it, answer 201.
  app.post('/baseline/*', async (c) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of c.env.incoming) chunks.push(chunk);
    JSON.parse(Buffer.concat(chunks).toString());
    return c.body('{"ok":true}', 201, { 'content-type': 'application/json' });
  });
  app.route('/', routes.app);
  const server = serveHttp({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  stop = async () => {
    await routes.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rail?.close();
    client?.disconnect();
  };
  return (server.address() as AddressInfo).port;
}

/** `count` publishes through `rail.publish`, `concurrency` at a time; resolves with the elapsed ms. */
async function raw(args: { count: number; concurrency: number; channel: string }): Promise<number> {
  const target = rail;
  if (target === undefined) throw new Error('start first');
  const body = publishBody();
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: args.concurrency }, async () => {
      while (next++ < args.count) await target.publish({ channel: args.channel, ...body });
    }),
  );
  return performance.now() - began;
}

serve(async (op, args) => {
  switch (op) {
    case 'start':
      return start(args as { store: HttpStoreKind; prefix: string });
    case 'raw':
      return raw(args as { count: number; concurrency: number; channel: string });
    case 'cpu-start':
      cpuMark = process.cpuUsage();
      return null;
    case 'cpu-stop': {
      const used = process.cpuUsage(cpuMark);
      return used.user + used.system;
    }
    case 'stop':
      await stop();
      return null;
    default:
      throw new Error(`unknown op ${op}`);
  }
});
