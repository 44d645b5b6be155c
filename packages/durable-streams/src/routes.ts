/**
 * @module
 * `durableStreams(rail, options)`: the Durable Streams protocol as one Hono app to
 * mount on yours: streams under `/v1/stream/*`, the rail's channels read-only under
 * `/v1/channel/*`.
 */

import { isReplayRailError, type ReplayRail } from '@replayrail/core';
import { ShuttingDownError } from '@replayrail/core/errors';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { channelHeadRoute, channelReadRoute, readOnlyChannel } from './channel-routes.js';
import { pathUnder, type RouteContext } from './context.js';
import { type DurableStreamsOptions, durableStoreOf, resolveOptions } from './options.js';
import { errorResponse, problem, respond } from './responses.js';
import { sseRoute } from './sse-route.js';
import { appendRoute, createRoute, deleteRoute, headRoute, parseReadQuery, readRoute } from './stream-routes.js';
import { StreamTails } from './stream-tails.js';
import { StreamTelemetry } from './telemetry.js';

/** What `durableStreams` returns. */
export interface DurableStreamsRoutes {
  /** The routes, to mount with `app.route('/', routes.app)`. */
  readonly app: Hono;
  /** Streams with a shared live read running now (one per stream that has waiting readers). */
  readonly liveStreams: number;
  /** Ends every event stream and long-poll (clients resume from their offsets); later requests get 503. Leaves the rail open. */
  close(): Promise<void>;
}

/** Reserved by the protocol for its subscription APIs (section 6), which this server does not serve. */
const RESERVED = '__ds';

/**
 * The Durable Streams HTTP protocol on a rail's store (`store.durableStreams`):
 * - `PUT <streams>/<path>`: create (201; 200 when it exists alike; 409 otherwise);
 * - `POST <streams>/<path>`: append, close (`Stream-Closed: true`), idempotent producers;
 * - `GET <streams>/<path>?offset=`: catch-up; `&live=long-poll`, `&live=sse`: live;
 * - `HEAD`, `DELETE`, and `OPTIONS` (CORS);
 * - `GET`/`HEAD <channels>/<channel>`: a channel as a read-only JSON stream.
 *
 * @example
 * const rail = new ReplayRail({ store: new MemoryEventStore() });
 * const streams = durableStreams(rail, { longPollTimeoutMs: 3000 });
 * const app = new Hono();
 * app.route('/', streams.app);
 * serve({ fetch: app.fetch, port: 4437 });
 */
export function durableStreams(rail: ReplayRail, options: DurableStreamsOptions = {}): DurableStreamsRoutes {
  const resolved = resolveOptions(options);
  const store = durableStoreOf(rail);
  const tails = new StreamTails(store, { blockMs: resolved.tailBlockMs, limit: resolved.readLimit });
  const telemetry = new StreamTelemetry(rail);
  const context: RouteContext = { rail, store, options: resolved, tails, telemetry, openStreams: new Set() };
  let closing = false;

  const app = new Hono();
  app.onError((error) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (isReplayRailError(error, 'replay_window_expired', 'stream_reset')) {
      telemetry.historyLost(String(error.context.channel ?? ''), error.code);
    }
    return errorResponse(resolved, error);
  });

  const streams = `${resolved.streamsPath}/*`;
  app.all(streams, async (c) => {
    if (c.req.method === 'OPTIONS') return respond(resolved, 204);
    if (closing) throw new ShuttingDownError();
    const path = pathUnder(c.req.url, resolved.streamsPath);
    if (path === undefined) return c.notFound();
    if (path === RESERVED || path.startsWith(`${RESERVED}/`)) {
      return problem(
        resolved,
        501,
        'not_implemented',
        'the subscription APIs (__ds) are not implemented by this server',
      );
    }
    return streamRoute(c, context, path);
  });

  if (resolved.channelsPath !== null) {
    const channels = `${resolved.channelsPath}/*`;
    app.all(channels, async (c) => {
      if (c.req.method === 'OPTIONS') return respond(resolved, 204);
      if (closing) throw new ShuttingDownError();
      const channel = pathUnder(c.req.url, resolved.channelsPath as string);
      if (channel === undefined) return c.notFound();
      switch (c.req.method) {
        case 'GET':
          return channelReadRoute(c, context, channel, parseReadQuery(c.req.url));
        case 'HEAD':
          return channelHeadRoute(context, channel);
        case 'PUT':
        case 'POST':
        case 'DELETE':
          return readOnlyChannel(context);
        default:
          return methodNotAllowed(context);
      }
    });
  }

  return {
    app,
    get liveStreams() {
      return tails.active;
    },
    async close() {
      closing = true;
      tails.close();
      for (const end of [...context.openStreams]) end();
    },
  };
}

function streamRoute(c: Context, context: RouteContext, path: string): Promise<Response> | Response {
  switch (c.req.method) {
    case 'PUT':
      return createRoute(c, context, path);
    case 'POST':
      return appendRoute(c, context, path);
    case 'DELETE':
      return deleteRoute(context, path);
    // Hono dispatches HEAD as GET; the method as sent tells them apart.
    case 'HEAD':
      return headRoute(context, path);
    case 'GET': {
      const query = parseReadQuery(c.req.url);
      return query.live === 'sse' ? sseRoute(c, context, path, query) : readRoute(c, context, path, query);
    }
    default:
      return methodNotAllowed(context);
  }
}

function methodNotAllowed({ options }: RouteContext): Response {
  return problem(options, 405, 'method_not_allowed', 'the method is not one the protocol has', {
    allow: 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  });
}
