/**
 * @module
 * Options of `createReplayRailRoutes`, and their checks and defaults.
 */

import type { ReplayRail } from '@replayrail/core';
import {
  integerOption,
  type ResolvedTransportOptions,
  resolveTransportOptions,
  type TransportOptions,
} from '@replayrail/core/protocol';
import type { CatalogEvent, EventCatalog } from '@replayrail/core/schema';
import type { Context } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';

/** Something holding a `ws`-style frame limit: a Node helper's `wss`, or a `WebSocketServer`. */
export interface FrameLimitHolder {
  options: { maxPayload?: number | undefined };
}

/** Options of `createReplayRailRoutes`. `authorize` sees the Hono `Context`. */
export interface ReplayRailRoutesOptions<Catalog extends EventCatalog = EventCatalog>
  extends TransportOptions<Context> {
  rail: ReplayRail;
  /**
   * Your runtime's WebSocket helper (`createNodeWebSocket(...).upgradeWebSocket` on
   * Node, from `@replayrail/adapter-hono/node` or `@hono/node-ws`; `upgradeWebSocket`
   * from `hono/bun` or `hono/deno`). Without it, no WebSocket routes are mounted.
   */
  upgradeWebSocket?: UpgradeWebSocket<unknown>;
  /**
   * The Node helper's `wss` (or the `WebSocketServer` you gave `@hono/node-server` 2):
   * its frame limit is set to `limits.maxFrameBytes`, so an oversized frame is
   * refused (1009) before it is buffered. Without it, `ws` reads frames of up to
   * 100 MiB, which the adapter then refuses with the same 1009.
   */
  webSocketServer?: FrameLimitHolder;
  /** Event type → zod schema of its payload; unknown types and bad payloads are refused (400). */
  catalog?: Catalog;
  /**
   * Called with each valid event before it is stored, typed by the catalog: return
   * it (changed, e.g. `actor` set from the authenticated user) or throw a ReplayRail
   * error to refuse it.
   */
  beforePublish?: (
    event: CatalogEvent<Catalog> & { channel: string },
    c: Context,
  ) => (CatalogEvent<Catalog> & { channel: string }) | Promise<CatalogEvent<Catalog> & { channel: string }>;
  /** Largest `POST` body, checked before it is read. @default limits.maxEventBytes + 4096 */
  maxBodyBytes?: number;
  /** Interval of SSE keep-alive comments, so proxies keep an idle stream open. @default 15000 */
  sseKeepAliveMs?: number;
  /** Prefix of the HTTP and SSE routes. @default '/events' */
  eventsPath?: string;
  /** Prefix of the WebSocket routes. @default '/ws' */
  wsPath?: string;
}

export interface ResolvedRoutesOptions {
  readonly transport: ResolvedTransportOptions<Context>;
  readonly maxBodyBytes: number;
  readonly sseKeepAliveMs: number;
  readonly eventsPath: string;
  readonly wsPath: string;
}

function trimPath(path: string): string {
  return path.replace(/\/+$/, '');
}

export function resolveRoutesOptions(options: ReplayRailRoutesOptions<EventCatalog>): ResolvedRoutesOptions {
  const limits = options.rail.config.limits;
  return {
    transport: resolveTransportOptions(options),
    maxBodyBytes: integerOption('transport', 'maxBodyBytes', options.maxBodyBytes, limits.maxEventBytes + 4096),
    sseKeepAliveMs: integerOption('transport', 'sseKeepAliveMs', options.sseKeepAliveMs, 15_000),
    eventsPath: trimPath(options.eventsPath ?? '/events'),
    wsPath: trimPath(options.wsPath ?? '/ws'),
  };
}
