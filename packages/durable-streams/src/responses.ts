/**
 * @module
 * What every response carries: CORS (so browsers can use the protocol's headers) and
 * the browser security headers of PROTOCOL.md section 12.7; errors as
 * `{ "error": { "code", "message" } }` (the Hono adapter's shape), ReplayRail errors
 * with the status of core's table (`invalid_request` 400, `event_too_large` 413,
 * `replay_window_expired` 410, `store_unavailable` 503, …).
 */

import { toReplayRailError, wireStatusOf } from '@replayrail/core/protocol';
import type { DurableStreamInfo } from '@replayrail/core/store';
import type { ResolvedOptions } from './options.js';

/** The protocol's headers (case as the protocol writes them; HTTP headers are case-insensitive). */
export const H = {
  nextOffset: 'Stream-Next-Offset',
  upToDate: 'Stream-Up-To-Date',
  closed: 'Stream-Closed',
  cursor: 'Stream-Cursor',
  ttl: 'Stream-TTL',
  expiresAt: 'Stream-Expires-At',
  sseEncoding: 'Stream-SSE-Data-Encoding',
  producerEpoch: 'Producer-Epoch',
  producerSeq: 'Producer-Seq',
  expectedSeq: 'Producer-Expected-Seq',
  receivedSeq: 'Producer-Received-Seq',
} as const;

const ALLOW_METHODS = 'GET, POST, PUT, DELETE, HEAD, OPTIONS';
const ALLOW_HEADERS = [
  'Content-Type',
  'Authorization',
  'If-None-Match',
  'Stream-Seq',
  'Stream-TTL',
  'Stream-Expires-At',
  'Stream-Closed',
  'Producer-Id',
  'Producer-Epoch',
  'Producer-Seq',
  'Stream-Forked-From',
  'Stream-Fork-Offset',
  'Stream-Fork-Sub-Offset',
].join(', ');
const EXPOSE_HEADERS = [
  H.nextOffset,
  H.cursor,
  H.upToDate,
  H.closed,
  H.ttl,
  H.expiresAt,
  H.sseEncoding,
  H.producerEpoch,
  H.producerSeq,
  H.expectedSeq,
  H.receivedSeq,
  'ETag',
  'Content-Type',
  'Location',
].join(', ');

/**
 * A fresh set of the headers every response has, with `extra`'s. A plain object
 * (names as written; `extra`'s are never the base's), not `Headers`: under
 * @hono/node-server a response with a body and plain headers is written straight to
 * Node's response, one with `Headers` is converted first.
 */
export function baseHeaders(options: ResolvedOptions, extra?: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {
    'access-control-allow-origin': options.allowOrigin,
    'access-control-allow-methods': ALLOW_METHODS,
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-expose-headers': EXPOSE_HEADERS,
    'x-content-type-options': 'nosniff',
    'cross-origin-resource-policy': 'cross-origin',
  };
  if (options.allowOrigin !== '*') headers.vary = 'Origin';
  return extra === undefined ? headers : Object.assign(headers, extra);
}

/** A response with the base headers. */
export function respond(
  options: ResolvedOptions,
  status: number,
  extra?: Record<string, string>,
  body?: BodyInit | null,
): Response {
  return new Response(body ?? null, { status, headers: baseHeaders(options, extra) });
}

/** An error response of the protocol's own (404, 405, 409, …): `{ "error": { "code", "message" } }`. */
export function problem(
  options: ResolvedOptions,
  status: number,
  code: string,
  message: string,
  extra?: Record<string, string>,
): Response {
  return respond(
    options,
    status,
    { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra },
    JSON.stringify({ error: { code, message } }),
  );
}

/** The response for a thrown value: its status from core's table. */
export function errorResponse(options: ResolvedOptions, error: unknown): Response {
  const failure = toReplayRailError(error);
  const status = wireStatusOf(failure).http ?? 500;
  const extra: Record<string, string> = {};
  // Transient failures: the client may retry, after a second or so.
  if (status === 503) extra['retry-after'] = '1';
  return problem(options, status, failure.code, failure.message, extra);
}

/** `404 Not Found` for a stream that does not exist. */
export function notFound(options: ResolvedOptions, what = 'stream'): Response {
  return problem(options, 404, 'not_found', `no such ${what}`);
}

/**
 * `Cache-Control` of a response carrying data (section 10.1): cacheable for a minute
 * (stale for five more while revalidating), never longer than the stream lives: its
 * sliding TTL, or the time to its expiry.
 */
export function cacheControlOf(options: ResolvedOptions, info: DurableStreamInfo, now = Date.now()): string {
  let bound = Number.POSITIVE_INFINITY;
  if (info.ttlSeconds !== null) bound = info.ttlSeconds;
  if (info.expiresAt !== null) bound = Math.min(bound, Math.floor((info.expiresAt - now) / 1000));
  if (bound <= 0) return 'no-store';
  return `${options.cacheVisibility}, max-age=${Math.min(60, bound)}, stale-while-revalidate=${Math.min(300, bound)}`;
}

/** An ETag: the stream's incarnation, where the response starts and ends, and `:c` once closed there. */
export function etagOf(info: DurableStreamInfo, start: string, end: string, closedHere: boolean): string {
  return `"${info.id}:${start}:${end}${closedHere ? ':c' : ''}"`;
}

/** Whether `If-None-Match` names this ETag (one of a list, weak or strong). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** The stream's metadata headers: content type, TTL or expiry. */
export function metadataHeaders(info: DurableStreamInfo): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': info.contentType };
  if (info.ttlSeconds !== null) headers[H.ttl] = String(info.ttlSeconds);
  if (info.expiresAt !== null) headers[H.expiresAt] = new Date(info.expiresAt).toISOString();
  return headers;
}
