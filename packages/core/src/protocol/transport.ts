/**
 * @module
 * What every transport (server-ws, adapter-hono) decides the same way before a
 * session starts: its options and their defaults, the Origin check, and where a
 * one-channel socket starts from its URL. Written once here so the two cannot
 * drift apart.
 */

import { ConfigError } from '../errors.js';
import type { Authorize, ClientStart, SessionOptions } from './session.js';

/** The options every ReplayRail transport takes. `Request` is what `authorize` is shown. */
export interface TransportOptions<Request> {
  /** May this request subscribe to this channel? Deny → 4403; throw UnauthenticatedError → 4401. */
  authorize?: Authorize<Request>;
  /**
   * Origins allowed to open a socket (`https://app.example.com`). Browsers send
   * cookies with cross-site WebSocket requests, so without a check any page can
   * open one with your user's session (Cross-Site WebSocket Hijacking). `'same-origin'`
   * allows only the Host the request was sent to; unset allows every origin.
   */
  allowedOrigins?: readonly string[] | 'same-origin';
  /** Sockets open at once in this process; more are closed with 1013 (try again later). @default 10000 */
  maxConnections?: number;
  /** Bytes waiting to be sent to one socket before it is closed with 4408. @default 1048576 */
  maxBufferedBytes?: number;
  /** Ping interval; a socket that did not answer the previous ping is dropped. @default 30000 */
  heartbeatMs?: number;
}

/** `TransportOptions` checked, with their defaults. */
export interface ResolvedTransportOptions<Request> {
  /** One object for every session of the transport: an idle socket holds a reference, not a copy. */
  readonly session: SessionOptions<Request>;
  readonly allowedOrigins: readonly string[] | 'same-origin' | undefined;
  readonly maxConnections: number;
  readonly heartbeatMs: number;
}

/** Checks a positive integer option, naming it when it is wrong. */
export function positiveOption(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigError(`invalid transport option: ${field} must be a positive integer, got ${String(value)}`, {
      context: { field },
    });
  }
  return value;
}

export function resolveTransportOptions<Request>(
  options: TransportOptions<Request>,
): ResolvedTransportOptions<Request> {
  const origins = options.allowedOrigins;
  if (origins !== undefined && origins !== 'same-origin' && !Array.isArray(origins)) {
    throw new ConfigError(`invalid transport option: allowedOrigins must be 'same-origin' or a list of origins`, {
      context: { field: 'allowedOrigins' },
    });
  }
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    throw new ConfigError('invalid transport option: authorize must be a function', {
      context: { field: 'authorize' },
    });
  }
  return {
    session: {
      ...(options.authorize && { authorize: options.authorize }),
      maxBufferedBytes: positiveOption(options.maxBufferedBytes, 1024 * 1024, 'maxBufferedBytes'),
    },
    allowedOrigins: origins,
    maxConnections: positiveOption(options.maxConnections, 10_000, 'maxConnections'),
    heartbeatMs: positiveOption(options.heartbeatMs, 30_000, 'heartbeatMs'),
  };
}

/**
 * Whether a request from `origin` (its Origin header) to `host` (its Host header)
 * may open a socket. With an allow-list, a request without an Origin is refused:
 * browsers always send one, so its absence means a non-browser client the list
 * was not written for.
 */
export function originAllowed(
  allowed: readonly string[] | 'same-origin' | undefined,
  origin: string | undefined,
  host: string | undefined,
): boolean {
  if (allowed === undefined) return true;
  if (origin === undefined) return false;
  if (allowed === 'same-origin') {
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  return allowed.includes(origin);
}

/**
 * Where a one-channel socket starts, from its query: `last_event_id` (the Python
 * library's name), `from=latest|earliest`, or `since`. The session validates the values.
 */
export function clientStartFromQuery(params: URLSearchParams): ClientStart {
  const lastEventId = params.get('last_event_id');
  const from = params.get('from');
  const since = params.get('since');
  return {
    ...(lastEventId !== null && { after: lastEventId }),
    ...((from === 'latest' || from === 'earliest') && { from }),
    ...(since !== null && { since }),
  };
}

/**
 * The channel in a URL path segment as sent (percent-decoded when it decodes), not
 * normalized: `a/../b` must reach channel validation as it is, and be refused there.
 */
export function channelFromPath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
