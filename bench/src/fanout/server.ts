/**
 * Fanout benchmark, the server process of one stack: `ReplayRailWebSocketServer` on a
 * `RedisStreamStore`, the Hono adapter's routes on `@hono/node-server` with the adapter's
 * Node helper (or `@hono/node-ws`'s) on the same store, the floor (floor.ts), or a
 * Socket.IO 4 server with `connectionStateRecovery` and the Redis Streams adapter, all
 * on ioredis named after the stack (so the driver can count this process's Redis
 * connections in CLIENT LIST) and listening on 127.0.0.1.
 * It measures its own CPU time (`process.cpuUsage()` between `cpu-start` and
 * `cpu-stop`) and memory (RSS and heap after `gc()`) when the driver asks. With
 * `telemetry`, its rail reports to the OpenTelemetry SDK (otel-sdk.ts, loaded only then).
 * Run by driver.js with --expose-gc.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve as serveHono } from '@hono/node-server';
import { createNodeWebSocket as honoNodeWs } from '@hono/node-ws';
import { createReplayRailRoutes } from '@replayrail/adapter-hono';
import { createNodeWebSocket } from '@replayrail/adapter-hono/node';
import { ReplayRail } from '@replayrail/core';
import { ReplayRailWebSocketServer } from '@replayrail/server-ws';
import { RedisStreamStore } from '@replayrail/store-redis';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { serve } from '../ipc.js';
import type { OtelSdk } from '../otel-sdk.js';
import { startFloor } from './floor.js';
import { REDIS_URL, railConfig, type StackOptions, serverClientName, sioAdapterOptions, sleep } from './shared.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

let connections = (): number => 0;
let close = async (): Promise<void> => {};
let cpuMark: NodeJS.CpuUsage | undefined;
let sdk: OtelSdk | undefined;

async function start(options: StackOptions): Promise<{ port: number }> {
  if (options.telemetry === true) {
    if (options.target !== 'rr' && options.target !== 'hono') throw new Error('telemetry is for ReplayRail servers');
    sdk = (await import('../otel-sdk.js')).startOtelSdk();
  }
  const telemetry = sdk === undefined ? {} : { telemetry: sdk.telemetry };
  const redis = new Redis(REDIS_URL, { connectionName: serverClientName(options), maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // Failures surface through the commands that fail.
  if (options.target === 'floor') {
    const floor = await startFloor(redis, railConfig(options).streamPrefix);
    connections = floor.connections;
    close = async () => {
      await floor.close();
      await redis.quit();
    };
    return { port: floor.port };
  }
  if (options.target === 'hono') {
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client: redis }),
      config: railConfig(options),
      ...telemetry,
    });
    const app = new Hono();
    const nodeWs = (options.nodeWs === true ? honoNodeWs : createNodeWebSocket)({ app });
    const routes = createReplayRailRoutes({
      rail,
      upgradeWebSocket: nodeWs.upgradeWebSocket,
      webSocketServer: nodeWs.wss,
    });
    app.route('/', routes.app);
    const server = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    nodeWs.injectWebSocket(server);
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    connections = () => routes.connections;
    close = async () => {
      await routes.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rail.close();
      await redis.quit();
      await sdk?.shutdown();
    };
    return { port: (server.address() as AddressInfo).port };
  }
  if (options.target === 'rr') {
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client: redis }),
      config: railConfig(options),
      ...telemetry,
    });
    const sockets = new ReplayRailWebSocketServer({ rail });
    const port = await sockets.listen(0);
    connections = () => sockets.connections;
    close = async () => {
      await sockets.close();
      await rail.close();
      await redis.quit();
      await sdk?.shutdown();
    };
    return { port };
  }
  const http = createServer();
  const io = new Server(http, {
    adapter: createAdapter(redis, sioAdapterOptions(options)),
    connectionStateRecovery: { maxDisconnectionDuration: 120_000 },
    transports: ['websocket'],
    serveClient: false,
  });
  // A recovered socket is back in its rooms already.
  io.on('connection', (socket) => {
    if (!socket.recovered) void socket.join(String(socket.handshake.auth.room));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  await sleep(250); // the adapter's stream reader starts at `$` once its own connection is up
  const address = http.address();
  connections = () => io.engine.clientsCount;
  close = async () => {
    await io.close(); // also closes the http server
    await redis.quit();
  };
  return { port: typeof address === 'object' && address !== null ? address.port : 0 };
}

/**
 * RSS and heap after garbage collection. `reduce`: a memory-reducing collection (V8's
 * last-resort one, which also shrinks the young generation back to its least), so
 * what is left is what the live objects need, not what earlier allocation grew.
 */
async function memory(reduce: boolean): Promise<{ rss: number; heapUsed: number }> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(50);
  }
  if (reduce) {
    (gc as (options: object) => void)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    await sleep(50);
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

serve(async (op, args) => {
  switch (op) {
    case 'start':
      return start(args as StackOptions);
    case 'cpu-start':
      cpuMark = process.cpuUsage();
      return null;
    case 'cpu-stop': {
      const used = process.cpuUsage(cpuMark);
      return used.user + used.system; // µs
    }
    case 'connections':
      return connections();
    case 'memory':
      return memory(args === 'reduce');
    case 'exported': {
      if (sdk === undefined) return null;
      await sdk.flush();
      return { delivered: sdk.counted('replayrail.events.delivered'), metricExports: sdk.metricExports() };
    }
    case 'stop':
      return close();
    default:
      throw new Error(`unknown op ${op}`);
  }
});
