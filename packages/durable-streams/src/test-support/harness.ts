/**
 * @module
 * What the tests share: the routes served on a real port, and a store whose durable
 * streams count their reads (the real memory store, wrapped: no mock).
 */

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type EventStore, ReplayRail, type ReplayRailConfig } from '@replayrail/core';
import type { DurableReadQuery, DurableStreamRef, DurableStreamStore } from '@replayrail/core/store';
import { MemoryEventStore } from '@replayrail/store-memory';
import { Hono } from 'hono';
import { type DurableStreamsOptions, type DurableStreamsRoutes, durableStreams } from '../index.js';

/** How a store's durable streams were read. */
export interface ReadCounts {
  /** Every `read`. */
  all: number;
  /** Reads that may block (`blockMs` > 0): the shared live reads. */
  blocking: number;
  /** Blocking reads in flight now, and the most there ever were at once. */
  inFlight: number;
  maxInFlight: number;
}

/** `base` with its `durableStreams` wrapped to count reads; everything else is `base`'s own. */
export function countingStore(base: MemoryEventStore = new MemoryEventStore()): {
  store: EventStore;
  reads: ReadCounts;
} {
  const reads: ReadCounts = { all: 0, blocking: 0, inFlight: 0, maxInFlight: 0 };
  const durable = base.durableStreams;
  const counted: DurableStreamStore = {
    create: (ref, request) => durable.create(ref, request),
    append: (ref, request) => durable.append(ref, request),
    info: (ref) => durable.info(ref),
    delete: (ref) => durable.delete(ref),
    fork: (ref, request) => durable.fork(ref, request),
    async read(ref: DurableStreamRef, query: DurableReadQuery) {
      reads.all++;
      if (query.blockMs === 0) return durable.read(ref, query);
      reads.blocking++;
      reads.inFlight++;
      reads.maxInFlight = Math.max(reads.maxInFlight, reads.inFlight);
      try {
        return await durable.read(ref, query);
      } finally {
        reads.inFlight--;
      }
    },
  };
  const store = new Proxy(base, {
    get(target, property) {
      if (property === 'durableStreams') return counted;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, reads };
}

/** The routes on a rail, served on a free port of 127.0.0.1. */
export interface Served {
  readonly rail: ReplayRail;
  readonly routes: DurableStreamsRoutes;
  readonly baseUrl: string;
  /** `<baseUrl>/v1/stream/<path>` */
  stream(path: string): string;
  close(): Promise<void>;
}

export async function serveRoutes(
  store: EventStore = new MemoryEventStore(),
  options: DurableStreamsOptions = {},
  config?: ReplayRailConfig,
): Promise<Served> {
  const rail = new ReplayRail({ store, ...(config !== undefined && { config }) });
  const routes = durableStreams(rail, options);
  const app = new Hono();
  app.route('/', routes.app);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    rail,
    routes,
    baseUrl,
    stream: (path) => `${baseUrl}/v1/stream/${path}`,
    async close() {
      await routes.close();
      await new Promise((resolve) => {
        server.close(resolve);
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await rail.close();
    },
  };
}

/** Resolves once `check` holds, polling every 10 ms (5 s at most). */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
