/**
 * @module
 * What every transport (server-ws, adapter-hono) decides the same way about a
 * request before the admission path runs (admission.ts): its options and their
 * defaults, the Origin check, a malformed handshake, and the channel in a path.
 * Written once here so the transports cannot drift apart.
 */

import { isReplayRailError, type ReplayRailError } from '../errors.js';
import { functionOption, integerOption, optionError } from '../options.js';
import type { Authorize } from './authorize.js';
import type { SessionOptions } from './session.js';

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
  /**
   * Connections at once in this process: open sockets, upgrades still being
   * admitted, and event streams. More are refused with 1013 / 503 (try again later).
   * @default 10000
   */
  maxConnections?: number;
  /** Bytes waiting to be sent to one socket before it is closed with 4408. @default 1048576 */
  maxBufferedBytes?: number;
  /** Ping interval; a socket that did not answer the previous ping is dropped. @default 30000 */
  heartbeatMs?: number;
  /**
   * How long an upgrade may wait for its handshake to complete, on runtimes that do
   * not say when a client leaves mid-handshake (Node does: the request's socket
   * closes); past it, everything the upgrade holds is released. @default 30000
   */
  upgradeTimeoutMs?: number;
  /**
   * Told of every failure on the server's side, to log: an `internal_error` (a throw
   * from your `authorize` or another hook, or a bug; the thrown value is its
   * `cause`), a `store_error`, an `invalid_config`. Clients get the code, never the
   * cause. Not told of bad requests, denials, expiry or an unreachable store.
   * @default console.error
   */
  onError?: (error: ReplayRailError) => void;
}

/** `TransportOptions` checked, with their defaults. */
export interface ResolvedTransportOptions<Request> {
  /** One object for every session of the transport: an idle socket holds a reference, not a copy. */
  readonly session: SessionOptions<Request>;
  readonly allowedOrigins: readonly string[] | 'same-origin' | undefined;
  readonly maxConnections: number;
  readonly heartbeatMs: number;
  readonly upgradeTimeoutMs: number;
  /** Hands a failure to `onError` when it is the server's own (see `onError`); never throws. */
  readonly report: (error: ReplayRailError) => void;
}

function logError(error: ReplayRailError): void {
  console.error(`replayrail: ${error.code}: ${error.message}`, error.cause ?? error);
}

// A fault of this server (its code, a hook, its store), as opposed to the client's
// request or the store being unreachable, which clients are told about and retry.
function isServerFault(error: ReplayRailError): boolean {
  return isReplayRailError(error, 'internal_error', 'store_error', 'invalid_config');
}

const OWNER = 'transport';

export function resolveTransportOptions<Request>(
  options: TransportOptions<Request>,
): ResolvedTransportOptions<Request> {
  const origins = options.allowedOrigins;
  if (origins !== undefined && origins !== 'same-origin' && !Array.isArray(origins)) {
    throw optionError(OWNER, 'allowedOrigins', "must be 'same-origin' or a list of origins");
  }
  const authorize = functionOption<Authorize<Request>>(OWNER, 'authorize', options.authorize);
  const onError = functionOption<(error: ReplayRailError) => void>(OWNER, 'onError', options.onError) ?? logError;
  const report = (error: ReplayRailError): void => {
    if (!isServerFault(error)) return;
    try {
      onError(error);
    } catch {
      // A failing logger must not take a connection down with it.
    }
  };
  return {
    session: {
      ...(authorize && { authorize }),
      maxBufferedBytes: integerOption(OWNER, 'maxBufferedBytes', options.maxBufferedBytes, 1024 * 1024),
      report,
    },
    allowedOrigins: origins,
    maxConnections: integerOption(OWNER, 'maxConnections', options.maxConnections, 10_000),
    heartbeatMs: integerOption(OWNER, 'heartbeatMs', options.heartbeatMs, 30_000),
    upgradeTimeoutMs: integerOption(OWNER, 'upgradeTimeoutMs', options.upgradeTimeoutMs, 30_000),
    report,
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

// RFC 6455 §4.1: the key is 16 random bytes in base64 (24 characters).
const HANDSHAKE_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** A request to a WebSocket endpoint, as `handshakeProblem` reads it. */
export interface HandshakeRequest {
  /** The method as the client sent it (not a runtime's rewrite: `@hono/node-ws` dispatches every upgrade as a GET). */
  readonly method: string | undefined;
  header(name: string): string | undefined;
}

/** Why a request to a WebSocket endpoint gets no socket: the HTTP answer, given before admission. */
export interface HandshakeRefusal {
  /**
   * 426: not an upgrade at all; 405: not a GET; 400: an upgrade no server would
   * complete; 404: no endpoint at that path (server-ws, when no other handler takes it).
   */
  readonly status: 400 | 404 | 405 | 426;
  readonly message: string;
  /** What the status calls for (RFC 9110: `Upgrade` with a 426, `Allow` with a 405; RFC 6455: the version we speak). */
  readonly headers: Readonly<Record<string, string>>;
}

/** The answer to a plain HTTP request on a WebSocket endpoint (server-ws answers every request so). */
export const UPGRADE_REQUIRED: HandshakeRefusal = Object.freeze({
  status: 426,
  message: 'WebSocket endpoint: upgrade required',
  headers: Object.freeze({ upgrade: 'websocket', connection: 'Upgrade' }),
});

function badHandshake(message: string, headers: Record<string, string> = {}): HandshakeRefusal {
  return { status: 400, message, headers };
}

// A comma-separated header holds this token (`Connection: keep-alive, Upgrade`).
function hasToken(value: string | undefined, token: string): boolean {
  return value?.split(',').some((part) => part.trim().toLowerCase() === token) === true;
}

/**
 * Why a request to a WebSocket endpoint cannot be upgraded, or undefined when it
 * is a complete handshake (RFC 6455 §4.2.1). In order: not an upgrade at all (no
 * `Connection: Upgrade` or no `Upgrade`: Node serves it as a plain request, which
 * would never become a socket) → 426; not a GET → 405; `Upgrade` other than
 * websocket, a `Sec-WebSocket-Version` other than 13, a key that is not 16 bytes →
 * 400. Checked before admission, so a request that cannot become a socket holds nothing.
 */
export function handshakeProblem(request: HandshakeRequest): HandshakeRefusal | undefined {
  const upgrade = request.header('upgrade');
  if (upgrade === undefined || !hasToken(request.header('connection'), 'upgrade')) return UPGRADE_REQUIRED;
  if (request.method !== 'GET') {
    return { status: 405, message: 'a WebSocket upgrade must be a GET', headers: { allow: 'GET' } };
  }
  if (upgrade.trim().toLowerCase() !== 'websocket') return badHandshake('Upgrade must be websocket');
  const version = request.header('sec-websocket-version')?.trim();
  if (version !== '13' && version !== '8') {
    return badHandshake('Sec-WebSocket-Version must be 13', { 'sec-websocket-version': '13' });
  }
  if (!HANDSHAKE_KEY.test(request.header('sec-websocket-key')?.trim() ?? '')) {
    return badHandshake('Sec-WebSocket-Key must be 16 bytes in base64');
  }
  return undefined;
}

/** A request target split as sent: its path (not normalized, not decoded) and its query. */
export interface SentTarget {
  readonly path: string;
  readonly query: URLSearchParams;
}

/**
 * The path and query of a request target as the client sent it (RFC 9112 §3.2: the
 * origin form `/a/b?q`, or the absolute form `http://host/a/b?q`, whose scheme and
 * authority are dropped). Never through a WHATWG `URL`, which resolves `.` and `..`
 * segments (percent-encoded ones too) and turns `\` into `/`: `a/../b` must reach
 * channel validation as it is, and be refused there. A `#` stays in the path, where
 * a channel cannot have one.
 */
export function splitTarget(target: string): SentTarget {
  let rest = target;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(rest);
  if (scheme !== null) {
    // The authority ends at the path or the query.
    const end = rest.slice(scheme[0].length).search(/[/?]/);
    const after = end === -1 ? '' : rest.slice(scheme[0].length + end);
    rest = after.startsWith('/') ? after : `/${after}`;
  }
  const mark = rest.indexOf('?');
  if (mark === -1) return { path: rest, query: new URLSearchParams() };
  return { path: rest.slice(0, mark), query: new URLSearchParams(rest.slice(mark + 1)) };
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
