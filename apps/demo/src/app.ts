/**
 * @module
 * The demo server: ReplayRail's Hono routes (HTTP, SSE, WebSockets) with the
 * demo's catalog, the operator's routes, the board's page, the ticket printer and
 * the kitchen service (each its own process on Redis, in this one on the memory
 * store), the server's calls to them (`@replayrail/rpc`) and the traffic simulator.
 */

import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createReplayRailRoutes } from '@replayrail/adapter-hono';
// The adapter's Node helper: an idle socket keeps nothing of its upgrade's request.
import { createNodeWebSocket } from '@replayrail/adapter-hono/node';
import { type EventStore, ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { catalog } from './catalog.js';
import { demoChannelPolicies } from './channel-policies.js';
import { type DemoKitchenOptions, type DemoPrinterOptions, startDemoServices } from './demo-services.js';
import { createEstimateRoutes } from './estimate-routes.js';
import { createOperatorRoutes } from './operator-routes.js';
import type { RpcLimits } from './rpc-limits.js';
import { TrafficSimulator } from './simulator.js';
import type { SimulatorLimits } from './simulator-limits.js';
import { createSimulatorRoutes } from './simulator-routes.js';
import { startTelemetry } from './telemetry.js';

export interface DemoOptions {
  /** @default 8000 */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** Redis to keep events in; without it, the memory store (events last until the process ends). */
  redisUrl?: string;
  /** Key prefix of the streams. @default 'rr' (as in the Python library's README) */
  streamPrefix?: string;
  /** Where the built page is. @default `public/` beside this module (dist/public) */
  publicDir?: URL;
  /** The restaurant whose confirmed orders the ticket printer prints. @default '123' */
  restaurant?: string;
  /** The ticket printer's settings, or false for none. @default {} */
  printer?: false | DemoPrinterOptions;
  /** The traffic simulator's limits; those not given are `DEFAULT_SIMULATOR_LIMITS` (simulator-limits.ts). */
  simulator?: Partial<SimulatorLimits>;
  /** The kitchen service's settings, or false for none (every estimate then times out). @default {} */
  kitchen?: false | DemoKitchenOptions;
  /** The calls' limits (timeout, kitchen concurrency, latency window); those not given are `DEFAULT_RPC_LIMITS` (rpc-limits.ts). */
  rpc?: Partial<RpcLimits>;
  /**
   * How long the restaurants' channels keep their history, in ms; the latest event of
   * each order's each step is kept beyond it (channel-policies.ts).
   * @default DEFAULT_HISTORY_MAX_AGE_MS (a day)
   */
  historyMaxAgeMs?: number;
}

export type { DemoKitchenOptions, DemoPrinterOptions } from './demo-services.js';

/** The name of the demo's Redis connections (`CLIENT LIST`). */
export const DEMO_CONNECTION_NAME = 'replayrail-demo';

export interface Demo {
  readonly port: number;
  readonly store: 'memory' | 'redis';
  close(): Promise<void>;
}

const PAGE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/board.js': 'board.js',
  '/board.js.map': 'board.js.map',
  '/board.css': 'board.css',
  '/operator.css': 'operator.css',
  '/layout.css': 'layout.css',
  '/favicon.svg': 'favicon.svg',
};
// The page's chunks (build-page.mjs): named by esbuild, `<name>-<hash>.js` (`mermaid.core-…`) and its map.
const CHUNK = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.js(\.map)?$/;
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  map: 'application/json',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  // Named, so an operator can tell the demo's connections in CLIENT LIST.
  const redis = options.redisUrl ? new Redis(options.redisUrl, { connectionName: DEMO_CONNECTION_NAME }) : undefined;
  // The demo opened the client, so closing the store (with the rail) closes it too.
  const store: EventStore = redis ? new RedisStreamStore({ client: redis, closeClient: true }) : new MemoryEventStore();
  // Metrics for GET /metrics, and a trace context in every event (the timeline's trace ID).
  const telemetry = startTelemetry();
  const rail = new ReplayRail({
    store,
    config: {
      maxStreamLength: 10_000,
      channels: demoChannelPolicies(options.historyMaxAgeMs),
      // Each order's events indexed by correlation, for its causation graph (the
      // operator's timeline): off by default, as it makes a publish a script on Redis.
      lineage: { index: true },
      ...(options.streamPrefix && { streamPrefix: options.streamPrefix }),
    },
    telemetry: telemetry.telemetry,
  });
  const app = new Hono();
  const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
  const routes = createReplayRailRoutes({ rail, catalog, upgradeWebSocket, webSocketServer: wss });
  app.route('/', routes.app);
  const restaurant = options.restaurant ?? '123';
  const services = await startDemoServices(rail, {
    restaurant,
    ...(options.redisUrl && { redisUrl: options.redisUrl }),
    ...(options.streamPrefix && { streamPrefix: options.streamPrefix }),
    ...(options.historyMaxAgeMs !== undefined && { historyMaxAgeMs: options.historyMaxAgeMs }),
    ...(options.printer !== undefined && { printer: options.printer }),
    ...(options.kitchen !== undefined && { kitchen: options.kitchen }),
    ...(options.rpc && { rpc: options.rpc }),
  });
  const { printer, kitchen, calls } = services;
  app.route(
    '/',
    createOperatorRoutes({ rail, restaurant, calls, ...(printer && { printer }), ...(kitchen && { kitchen }) }),
  );
  app.route('/', createEstimateRoutes({ rail, calls, restaurant }));
  const simulator = new TrafficSimulator(rail, options.simulator);
  app.route('/', createSimulatorRoutes({ simulator, restaurant }));
  // The Prometheus text format, for a scraper or a curious operator.
  app.get('/metrics', async (c) =>
    c.body(await telemetry.metricsText(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );
  const publicDir = options.publicDir ?? new URL('./public/', import.meta.url);
  for (const [path, file] of Object.entries(PAGE_FILES)) {
    app.get(path, async (c) => {
      const body = await readFile(new URL(file, publicDir));
      return c.body(body, 200, { 'content-type': TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream' });
    });
  }
  // Only names a chunk can have: nothing outside chunks/ is read.
  app.get('/chunks/:file', async (c) => {
    const file = c.req.param('file');
    if (!CHUNK.test(file)) return c.notFound();
    const body = await readFile(new URL(`chunks/${file}`, publicDir)).catch(() => null);
    if (body === null) return c.notFound();
    return c.body(body, 200, {
      'content-type': TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
      // A chunk's name changes with its content: it never needs asking for again.
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });
  // Browsers and tools that ask for the classic icon get the page's own.
  app.get('/favicon.ico', (c) => c.redirect('/favicon.svg', 301));
  const server = serve({ fetch: app.fetch, port: options.port ?? 8000, hostname: options.host ?? '0.0.0.0' });
  injectWebSocket(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve());
  }).catch(async (error: unknown) => {
    await simulator.close();
    await services.close(); // no service left running for a demo that never listened
    throw error;
  });
  return {
    port: (server.address() as AddressInfo).port,
    store: redis ? 'redis' : 'memory',
    async close() {
      // First: the orders under way publish nothing once the rail is closing.
      await simulator.close();
      await routes.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      // After the server: no request waits on a call any more.
      await services.close();
      await rail.close();
      await telemetry.shutdown();
    },
  };
}
