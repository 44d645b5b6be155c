/**
 * @module
 * Every error ReplayRail raises, and the one table that maps each error code to its
 * HTTP status and WebSocket close code (docs/architecture.md, "Errors"). Browser-safe
 * and zod-free: browsers import it as `@replayrail/core/errors`.
 */

import { CloseCode } from './close-codes.js';
import type { StoredEvent } from './types.js';

/** What went wrong, as a stable string a program can switch on. */
export type ReplayRailErrorCode =
  | 'invalid_channel'
  | 'invalid_event_type'
  | 'invalid_event_id'
  | 'invalid_cursor'
  | 'invalid_created_at'
  | 'invalid_request'
  | 'request_aborted'
  | 'serialization_error'
  | 'event_too_large'
  | 'invalid_config'
  | 'unauthenticated'
  | 'forbidden'
  | 'origin_not_allowed'
  | 'replay_window_expired'
  | 'stream_reset'
  | 'duplicate_event'
  | 'duplicate_event_conflict'
  | 'slow_consumer'
  | 'too_many_connections'
  | 'store_error'
  | 'store_unavailable'
  | 'store_closed'
  | 'shutting_down'
  | 'entries_lost'
  | 'rpc_error'
  | 'rpc_timeout'
  | 'rpc_transport'
  | 'internal_error';

/** How an error travels: the HTTP status of a response, the close code of a WebSocket. */
export interface WireStatus {
  /** HTTP status; `null` where the error never reaches an HTTP response. */
  readonly http: number | null;
  /** WebSocket close code; `null` where the error never closes a socket. */
  readonly ws: number | null;
}

/**
 * The error → status table (docs/architecture.md, "Errors"), in one place. Transports look codes up
 * here and nowhere else. 4xxx close codes are ours (RFC 6455 leaves 4000-4999 to
 * applications); 1001 and 1011 are the standard "going away" and "internal error".
 */
export const WIRE_STATUS: Readonly<Record<ReplayRailErrorCode, WireStatus>> = {
  // Bad input from the caller: fix the request, do not retry it as is.
  invalid_channel: { http: 400, ws: CloseCode.BadRequest },
  invalid_event_type: { http: 400, ws: CloseCode.BadRequest },
  invalid_event_id: { http: 400, ws: CloseCode.BadRequest },
  invalid_cursor: { http: 400, ws: CloseCode.BadRequest },
  invalid_created_at: { http: 400, ws: CloseCode.BadRequest },
  invalid_request: { http: 400, ws: CloseCode.BadRequest },
  // The client hung up mid-body, or broke its framing: answered where an answer can still reach it.
  request_aborted: { http: 400, ws: null },
  serialization_error: { http: 400, ws: CloseCode.BadRequest },
  event_too_large: { http: 413, ws: CloseCode.BadRequest },
  // A server misconfiguration, never the client's fault.
  invalid_config: { http: 500, ws: CloseCode.InternalError },
  // Authentication and authorization: the client must not retry without new credentials.
  unauthenticated: { http: 401, ws: CloseCode.Unauthenticated },
  forbidden: { http: 403, ws: CloseCode.Forbidden },
  origin_not_allowed: { http: 403, ws: CloseCode.Forbidden },
  // The cursor names history that is gone: the client resyncs, then resumes from latest.
  replay_window_expired: { http: 410, ws: CloseCode.HistoryLost },
  stream_reset: { http: 410, ws: CloseCode.HistoryLost },
  // An event_id was used before; 409 tells a retrying publisher it was already stored.
  duplicate_event: { http: 409, ws: null },
  duplicate_event_conflict: { http: 409, ws: null },
  // The socket's send buffer passed its cap: the client reconnects with its cursor.
  slow_consumer: { http: null, ws: CloseCode.SlowConsumer },
  // The process holds as many sockets and streams as it is allowed (maxConnections): retry later.
  too_many_connections: { http: 503, ws: CloseCode.TryAgainLater },
  // Transient: the client retries with backoff.
  store_error: { http: 500, ws: CloseCode.InternalError },
  store_unavailable: { http: 503, ws: CloseCode.InternalError },
  store_closed: { http: 503, ws: CloseCode.GoingAway },
  shutting_down: { http: 503, ws: CloseCode.GoingAway },
  // Reported to a consumer group's owner (onError), never to a client.
  entries_lost: { http: null, ws: null },
  // A call between services (@replayrail/rpc): answered with a JSON-RPC error, never
  // answered in time, or its messages could not be sent or read. Never a transport's own.
  rpc_error: { http: null, ws: null },
  rpc_timeout: { http: null, ws: null },
  rpc_transport: { http: null, ws: null },
  // A throw from user code (a hook, a handler) or a bug: logged on the server, never detailed to the client.
  internal_error: { http: 500, ws: CloseCode.InternalError },
};

/** Extra facts about an error, safe to log and to send to a client. */
export type ErrorContext = Readonly<Record<string, unknown>>;

export interface ReplayRailErrorOptions {
  context?: ErrorContext;
  cause?: unknown;
}

// Marks our errors so `isReplayRailError` works across two copies of this package in
// one bundle, where `instanceof` fails.
const BRAND = Symbol.for('replayrail.error');

/**
 * The base of every error ReplayRail raises.
 *
 * @example
 * try {
 *   await rail.replay('orders', { after: cursor });
 * } catch (error) {
 *   if (isReplayRailError(error) && error.code === 'replay_window_expired') resync();
 *   else throw error;
 * }
 */
export class ReplayRailError extends Error {
  override readonly name: string = 'ReplayRailError';
  readonly code: ReplayRailErrorCode;
  readonly context: ErrorContext;
  readonly [BRAND] = true;

  constructor(code: ReplayRailErrorCode, message: string, options: ReplayRailErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }

  /** The HTTP status and WebSocket close code for this error. */
  get status(): WireStatus {
    return WIRE_STATUS[this.code];
  }

  toJSON(): { name: string; code: ReplayRailErrorCode; message: string; context: ErrorContext } {
    return { name: this.name, code: this.code, message: this.message, context: this.context };
  }
}

/**
 * True for any ReplayRail error, even one from another copy of this package (where
 * `instanceof` fails); with `codes`, only for an error with one of them.
 *
 * @example
 * if (isReplayRailError(error, 'replay_window_expired', 'stream_reset')) resync();
 */
export function isReplayRailError<Code extends ReplayRailErrorCode>(
  value: unknown,
  ...codes: Code[]
): value is ReplayRailError & { readonly code: Code } {
  if (typeof value !== 'object' || value === null || (value as { [BRAND]?: unknown })[BRAND] !== true) return false;
  return codes.length === 0 || (codes as string[]).includes((value as ReplayRailError).code);
}

/** The wire status of any thrown value; unknown errors are internal (500 / 1011). */
export function wireStatusOf(error: unknown): WireStatus {
  return isReplayRailError(error) && error.code in WIRE_STATUS ? WIRE_STATUS[error.code] : WIRE_STATUS.internal_error;
}

/** A channel name breaks the rules of docs/architecture.md, "Limits and bad input". */
export class InvalidChannelError extends ReplayRailError {
  override readonly name = 'InvalidChannelError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('invalid_channel', message, options);
  }
}

/** An event type breaks the rules of docs/architecture.md, "Limits and bad input". */
export class InvalidEventTypeError extends ReplayRailError {
  override readonly name = 'InvalidEventTypeError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('invalid_event_type', message, options);
  }
}

/** An event_id breaks the rules of docs/architecture.md, "Limits and bad input". */
export class InvalidEventIdError extends ReplayRailError {
  override readonly name = 'InvalidEventIdError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('invalid_event_id', message, options);
  }
}

/** A cursor is not `<ms>-<seq>` (or `$` where that is allowed), or a limit is out of range. */
export class InvalidCursorError extends ReplayRailError {
  override readonly name = 'InvalidCursorError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('invalid_cursor', message, options);
  }
}

/** `createdAt` is not a valid UTC time between the years 1 and 9999. */
export class InvalidCreatedAtError extends ReplayRailError {
  override readonly name = 'InvalidCreatedAtError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('invalid_created_at', message, options);
  }
}

/** A request or frame is malformed (bad JSON, wrong shape, unknown field). */
export class InvalidRequestError extends ReplayRailError {
  override readonly name = 'InvalidRequestError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('invalid_request', message, options);
  }
}

/**
 * The client ended a request before its body was complete: it hung up mid-body, or
 * broke the body's framing (a chunk size that is not hex). The client's doing, not
 * the server's: answered 400 where an answer can still reach it, counted
 * (`replayrail.requests.aborted`), never reported to `onError` as a fault.
 */
export class RequestAbortedError extends ReplayRailError {
  override readonly name = 'RequestAbortedError';
  constructor(message = 'the request ended before its body was complete', options?: ReplayRailErrorOptions) {
    super('request_aborted', message, options);
  }
}

/**
 * A value cannot be stored as JSON without losing something (NaN, BigInt, a cycle,
 * `undefined`, a Date or Map, nesting too deep), or a stored entry cannot be decoded.
 */
export class SerializationError extends ReplayRailError {
  override readonly name: string = 'SerializationError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('serialization_error', message, options);
  }
}

/** An encoded event is larger than `limits.maxEventBytes`. */
export class EventTooLargeError extends SerializationError {
  override readonly name = 'EventTooLargeError';
  override readonly code = 'event_too_large';
}

/** A `ReplayRailConfig` or store option is invalid; the message names the field. */
export class ConfigError extends ReplayRailError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('invalid_config', message, options);
  }
}

/** The request carries no valid credentials. */
export class UnauthenticatedError extends ReplayRailError {
  override readonly name = 'UnauthenticatedError';
  constructor(message = 'not authenticated', options?: ReplayRailErrorOptions) {
    super('unauthenticated', message, options);
  }
}

/** The caller is known but may not do this (or its Origin is not allowed). */
export class ForbiddenError extends ReplayRailError {
  override readonly name = 'ForbiddenError';
  constructor(
    message = 'not allowed',
    options?: ReplayRailErrorOptions & { code?: 'forbidden' | 'origin_not_allowed' },
  ) {
    super(options?.code ?? 'forbidden', message, options);
  }
}

/**
 * Events after the cursor are no longer retained (trimmed by MAXLEN or deleted), so a
 * replay cannot be complete. Nothing was delivered; the client must resync its state.
 */
export class ReplayWindowExpiredError extends ReplayRailError {
  override readonly name: string = 'ReplayWindowExpiredError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('replay_window_expired', message, options);
  }
}

/**
 * The store lost history the cursor points into (a failover to a lagging replica, a
 * deleted stream, a restart without persistence). A kind of expiry: the same 410 / 4410.
 */
export class StreamResetError extends ReplayWindowExpiredError {
  override readonly name = 'StreamResetError';
  override readonly code = 'stream_reset';
}

/** The event_id was published before with the same content and `duplicatePolicy` is `raise`. */
export class DuplicateEventError extends ReplayRailError {
  override readonly name = 'DuplicateEventError';
  /** The event as first stored, when the store knows it (both stores do). */
  readonly existing: StoredEvent | undefined;
  constructor(message: string, options?: ReplayRailErrorOptions & { existing?: StoredEvent }) {
    super('duplicate_event', message, options);
    this.existing = options?.existing;
  }
}

/** The event_id was published before with different content. Nothing was written. */
export class DuplicateEventConflictError extends ReplayRailError {
  override readonly name = 'DuplicateEventConflictError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('duplicate_event_conflict', message, options);
  }
}

/** A subscriber's send buffer passed its cap; it reconnects with its cursor and loses nothing. */
export class SlowConsumerError extends ReplayRailError {
  override readonly name = 'SlowConsumerError';
  constructor(message = 'subscriber is too slow', options?: ReplayRailErrorOptions) {
    super('slow_consumer', message, options);
  }
}

/** The process already holds `maxConnections` sockets and streams: retry later (503 / 1013). */
export class TooManyConnectionsError extends ReplayRailError {
  override readonly name = 'TooManyConnectionsError';
  constructor(message = 'too many connections', options?: ReplayRailErrorOptions) {
    super('too_many_connections', message, options);
  }
}

/** The store failed an operation for a reason other than being unreachable. */
export class StoreError extends ReplayRailError {
  override readonly name: string = 'StoreError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('store_error', message, options);
  }
}

/**
 * A thrown value as a ReplayRail error: ours as it is, anything else an
 * `InternalError` that keeps it as its cause (for the server's log) and tells a
 * client nothing more.
 */
export function toReplayRailError(error: unknown): ReplayRailError {
  return isReplayRailError(error) ? error : new InternalError('internal error', { cause: error });
}

/** The store cannot be reached right now; retrying later may succeed. */
export class StoreUnavailableError extends StoreError {
  override readonly name = 'StoreUnavailableError';
  override readonly code = 'store_unavailable';
}

/** The store was closed; every later call fails with this error. */
export class StoreClosedError extends StoreError {
  override readonly name = 'StoreClosedError';
  override readonly code = 'store_closed';
}

/** The server is shutting down; clients reconnect elsewhere or later. */
export class ShuttingDownError extends ReplayRailError {
  override readonly name = 'ShuttingDownError';
  constructor(message = 'server is shutting down', options?: ReplayRailErrorOptions) {
    super('shutting_down', message, options);
  }
}

/**
 * Retention trimmed entries of a channel before a consumer group read them: work that
 * will never be processed. Reported once through the consumer's `onError`, with the
 * range (`context.after`, `context.before`: the group's last read entry and the first
 * one still retained) and `context.count` when the store knows it; the group goes on.
 */
export class EntriesLostError extends ReplayRailError {
  override readonly name = 'EntriesLostError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('entries_lost', message, options);
  }
}

/**
 * A call to another service was answered with a JSON-RPC error: its `rpcCode`
 * (-32601 method not found, -32602 invalid params, -32603 internal error, or the
 * code a handler chose), `message` and `data` as the server sent them. A handler
 * throws one to answer with its own code (`@replayrail/rpc`).
 *
 * @example
 * throw new RpcError(-32000, 'division by zero', { a });
 */
export class RpcError extends ReplayRailError {
  override readonly name = 'RpcError';
  /** The JSON-RPC error code. */
  readonly rpcCode: number;
  /** The error's `data`, as sent (null when there was none). */
  readonly data: unknown;
  constructor(rpcCode: number, message: string, data: unknown = null, options?: ReplayRailErrorOptions) {
    super('rpc_error', message, { ...options, context: { rpcCode, ...options?.context } });
    this.rpcCode = rpcCode;
    this.data = data;
  }
}

/** A call was not answered before its deadline (`timeoutMs`): it may still have run. */
export class RpcTimeoutError extends ReplayRailError {
  override readonly name = 'RpcTimeoutError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('rpc_timeout', message, options);
  }
}

/** A call could not be sent, or its answer read or understood: the store failed, or the reply was malformed. */
export class RpcTransportError extends ReplayRailError {
  override readonly name = 'RpcTransportError';
  constructor(message: string, options?: ReplayRailErrorOptions) {
    super('rpc_transport', message, options);
  }
}

/**
 * A throw from user code (an `authorize` or `beforePublish` hook, a catalog
 * refinement, a listener) or a bug: 500 / 1011 with reason `internal_error`. The
 * original is its `cause`, for the server's log (`onError`); a client learns nothing more.
 */
export class InternalError extends ReplayRailError {
  override readonly name = 'InternalError';
  constructor(message = 'internal error', options?: ReplayRailErrorOptions) {
    super('internal_error', message, options);
  }
}
