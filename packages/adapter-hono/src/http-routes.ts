/**
 * @module
 * `POST /events/<channel>` (publish, idempotent with `event_id` or an
 * `Idempotency-Key` header) and `GET /events/<channel>?after=&limit=` (a page).
 * Nothing is written unless every check passed: channel, authorization, content
 * type, body size (before the body is read), JSON, body shape, catalog.
 */

import {
  InvalidRequestError,
  isReplayRailError,
  type ReplayRail,
  type StoredEvent,
  type Subscription,
} from '@replayrail/core';
import {
  type Admission,
  assertChannel,
  checkAuthorized,
  readBodyWithin,
  requestChunks,
  snapshotFromQuery,
  startFromQuery,
  toWireJson,
} from '@replayrail/core/protocol';
import { type CatalogEvent, checkAgainstCatalog, type EventCatalog } from '@replayrail/core/schema';
import type { TraceCarrier } from '@replayrail/core/telemetry';
import type { Context } from 'hono';
import type { ReplayRailRoutesOptions, ResolvedRoutesOptions } from './options.js';
import { parsePublishBody } from './publish-body.js';
import { channelUnder, sentTarget } from './sent-request.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** What every HTTP route works with. */
export interface RouteDeps {
  readonly rail: ReplayRail;
  readonly options: ReplayRailRoutesOptions<EventCatalog>;
  readonly resolved: ResolvedRoutesOptions;
  /** The connection cap and shutdown, shared with the sockets. */
  readonly admission: Admission<Context>;
  /** Open event streams, ended by `close()`. */
  readonly streams: Set<Subscription>;
}

/** A route's request: its channel, checked and authorized, and its query. */
interface RouteRequest {
  readonly channel: string;
  readonly query: URLSearchParams;
}

/**
 * The channel named by the rest of the path as sent (percent-decoded, not
 * normalized: sent-request.ts), checked, and authorized for `action`, with the
 * query: what every route does first. Undefined when the path as sent is not under
 * the routes' prefix: answer it with `c.notFound()`.
 */
export async function authorizedRequest(
  c: Context,
  { rail, options, resolved }: RouteDeps,
  action: 'subscribe' | 'publish',
): Promise<RouteRequest | undefined> {
  const { path, query } = sentTarget(c);
  const channel = channelUnder(path, resolved.eventsPath);
  if (channel === undefined) return undefined;
  assertChannel(channel, rail.config.limits);
  await checkAuthorized(options.authorize, { request: c, channel, action });
  return { channel, query };
}

/**
 * The request's JSON body, read only if it is JSON and no larger than `maxBytes`:
 * a declared length over it is refused unread, a body that grows past it is no
 * longer read (the server discards the rest once the 413 is sent).
 */
export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new InvalidRequestError(`content-type must be application/json, got ${JSON.stringify(type)}`);
  }
  const bytes = await readBodyWithin(
    requestChunks(c.env, () => c.req.raw.body),
    c.req.header('content-length'),
    maxBytes,
  );
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidRequestError('request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`request body is not valid JSON: ${(error as Error).message}`);
  }
}

function jsonResponse(text: string, status: number): Response {
  // A new headers object each time: @hono/node-server writes content-length into the one it is given.
  return new Response(text, { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

/** `POST <events>/<channel>`: 201 with the stored event, 200 with the first one for a retry. */
export async function publishRoute(c: Context, deps: RouteDeps): Promise<Response> {
  const { rail, options, resolved } = deps;
  const request = await authorizedRequest(c, deps, 'publish');
  if (request === undefined) return c.notFound();
  const { channel } = request;
  const body = parsePublishBody(await readJsonBody(c, resolved.maxBodyBytes));
  const key = c.req.header('idempotency-key');
  if (key !== undefined && body.event_id !== undefined && key !== body.event_id) {
    throw new InvalidRequestError('the Idempotency-Key header and event_id differ; send one, or the same value');
  }
  const payload = options.catalog ? checkAgainstCatalog(options.catalog, body.type, body.payload) : body.payload;
  let event = {
    channel,
    type: body.type,
    payload,
    actor: body.actor ?? null,
    metadata: body.metadata ?? {},
  } as CatalogEvent<EventCatalog> & { channel: string };
  if (options.beforePublish) event = await options.beforePublish(event, c);
  const eventId = body.event_id ?? key;
  let stored: StoredEvent;
  try {
    stored = await rail.publish({
      channel: event.channel,
      type: event.type,
      payload: event.payload,
      actor: event.actor,
      metadata: event.metadata,
      ...(eventId !== undefined && { eventId, duplicatePolicy: 'raise' as const }),
      ...(body.created_at !== undefined && { createdAt: body.created_at }),
      ...traceOf(c),
    });
  } catch (error) {
    // A retry of the same event: nothing new was written; answer with the first one.
    // By code, not class: the store's copy of core may not be the adapter's.
    const existing = isReplayRailError(error, 'duplicate_event')
      ? (error as { existing?: StoredEvent }).existing
      : undefined;
    if (existing !== undefined) return jsonResponse(toWireJson(existing), 200);
    throw error;
  }
  return jsonResponse(toWireJson(stored), 201);
}

function limitParam(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value))
    throw new InvalidRequestError(`limit must be a positive integer, got ${JSON.stringify(value.slice(0, 64))}`);
  return Number(value);
}

/**
 * `GET <events>/<channel>?after=&since=&until=&limit=` (`last_event_id` and `from`
 * too, as on every transport): `{ events, next, has_more }`. With `from=snapshot`, a
 * page of a keyed channel's snapshot, and `snapshot: { cursor, next_key }` to go on
 * (`snapshot_cursor=` and `after_key=`, then `after=<next>` once `next_key` is null).
 */
export async function pageRoute(c: Context, deps: RouteDeps): Promise<Response> {
  const request = await authorizedRequest(c, deps, 'subscribe');
  if (request === undefined) return c.notFound();
  const { channel, query } = request;
  const start = startFromQuery(query, 'page');
  const limit = limitParam(query.get('limit') ?? undefined);
  // Passed whatever the start: the rail refuses them without `from=snapshot`.
  const continuation = snapshotFromQuery(query);
  // `from=latest` is after the last event: an empty page, and its cursor.
  const page = await deps.rail.replay(channel, {
    ...start,
    ...continuation,
    ...(limit !== undefined && { limit }),
  });
  // Events in their wire form (the envelope's field order: docs/architecture.md), as every transport sends them.
  const events = page.events.map(toWireJson).join(',');
  const snapshot =
    page.snapshot === undefined
      ? ''
      : `,"snapshot":${JSON.stringify({ cursor: page.snapshot.cursor, next_key: page.snapshot.nextKey })}`;
  return jsonResponse(
    `{"events":[${events}],"next":${JSON.stringify(page.next)},"has_more":${page.hasMore}${snapshot}}`,
    200,
  );
}

// The W3C trace context a request brought: the publish continues that trace.
function traceOf(c: Context): { trace?: TraceCarrier } {
  const traceparent = c.req.header('traceparent');
  if (traceparent === undefined) return {};
  const tracestate = c.req.header('tracestate');
  return { trace: { traceparent, ...(tracestate !== undefined && { tracestate }) } };
}
