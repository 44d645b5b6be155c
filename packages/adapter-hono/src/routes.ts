/**
 * @module
 * `createReplayRailRoutes`: ReplayRail's HTTP, Server-Sent Events and WebSocket
 * routes as one Hono app to mount on yours.
 */

import { isReplayRailError, type Subscription } from '@replayrail/core';
import { ShuttingDownError } from '@replayrail/core/errors';
import { Admission, toReplayRailError } from '@replayrail/core/protocol';
import type { EventCatalog } from '@replayrail/core/schema';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { errorResponse } from './error-response.js';
import { pageRoute, publishRoute } from './http-routes.js';
import { type ReplayRailRoutesOptions, resolveRoutesOptions } from './options.js';
import { cameAsUpgrade } from './sent-request.js';
import { sseRoute, wantsEventStream } from './sse-route.js';
import { webSocketHandlers } from './websocket-routes.js';

/** What `createReplayRailRoutes` returns. */
export interface ReplayRailRoutes {
  /** The routes, to mount with `app.route('/', routes.app)`. */
  readonly app: Hono;
  /** Connections the cap counts: open WebSockets, upgrades being admitted, event streams. */
  readonly connections: number;
  /**
   * Closes every socket with 1001 and ends every event stream (clients resume
   * from their cursors elsewhere); leaves the rail and its store open.
   */
  close(): Promise<void>;
}

/**
 * ReplayRail's routes on Hono:
 * - `POST <events>/<channel>`: publish (201, or 200 with the first event for a retried `event_id`);
 * - `GET <events>/<channel>?after=&since=&until=&limit=`: a page `{ events, next, has_more }`;
 * - the same URL with `Accept: text/event-stream`: Server-Sent Events from `Last-Event-ID`;
 * - `<ws>/<channel>?last_event_id=` and `<ws>` (multiplexed): WebSockets, given `upgradeWebSocket`.
 *
 * @example
 * const app = new Hono();
 * const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
 * const routes = createReplayRailRoutes({ rail, upgradeWebSocket, webSocketServer: wss });
 * app.route('/', routes.app);
 * injectWebSocket(serve({ fetch: app.fetch, port: 8000 }));
 */
export function createReplayRailRoutes<const Catalog extends EventCatalog = EventCatalog>(
  options: ReplayRailRoutesOptions<Catalog>,
): ReplayRailRoutes {
  const { rail } = options;
  const general = options as unknown as ReplayRailRoutesOptions<EventCatalog>;
  const resolved = resolveRoutesOptions(general);
  // One admission path for sockets and event streams: one cap, one shutdown.
  const admission = new Admission<Context>(rail, resolved.transport);
  const streams = new Set<Subscription>();
  // ws refuses (1009) an incoming frame over the limit before buffering it whole.
  if (options.webSocketServer) options.webSocketServer.options.maxPayload = rail.config.limits.maxFrameBytes;

  const app = new Hono();
  // Hono's own refusals (HTTPException) keep their status; everything else maps by
  // the table, and the server's own faults reach `onError`.
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    const failure = toReplayRailError(error);
    // The client's doing (it hung up mid-body): counted, never reported as a fault.
    if (isReplayRailError(failure, 'request_aborted')) rail.telemetry?.requestAborted(c.req.method);
    resolved.transport.report(failure);
    return errorResponse(failure);
  });
  let closing = false;
  const events = `${resolved.eventsPath}/*`;
  app.use(events, async (c, next) => {
    // After close() the HTTP routes answer 503 too: clients retry on another instance.
    if (closing) throw new ShuttingDownError();
    // An upgrade to an HTTP route: no WebSocket endpoint here, as server-ws answers it.
    if (cameAsUpgrade(c)) return c.notFound();
    await next();
  });
  const deps = { rail, options: general, resolved, admission, streams };
  app.post(events, (c) => publishRoute(c, deps));
  app.get(events, (c) => (wantsEventStream(c) ? sseRoute(c, deps) : pageRoute(c, deps)));
  if (options.upgradeWebSocket) {
    // Every method: a request that cannot become a socket is answered here (426 /
    // 405 / 400), as server-ws answers it, never by a route further on.
    const handlers = webSocketHandlers(admission, resolved, options.upgradeWebSocket, rail.config.limits.maxFrameBytes);
    app.all(resolved.wsPath, handlers.admitMultiplexed, handlers.upgrade);
    app.all(`${resolved.wsPath}/*`, handlers.admitSingle, handlers.upgrade);
  }

  return {
    app,
    get connections() {
      return admission.connections;
    },
    async close() {
      closing = true;
      for (const stream of streams) stream.close();
      await admission.close();
    },
  };
}
