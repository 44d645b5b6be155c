import { describe, expect, it } from 'vitest';
import * as errors from './errors.js';

const { WIRE_STATUS, ReplayRailError, isReplayRailError, wireStatusOf } = errors;

// Every concrete error class, constructed with a message, and the code it must carry.
const CLASSES: [new (message: string) => errors.ReplayRailError, errors.ReplayRailErrorCode][] = [
  [errors.InvalidChannelError, 'invalid_channel'],
  [errors.InvalidEventTypeError, 'invalid_event_type'],
  [errors.InvalidEventIdError, 'invalid_event_id'],
  [errors.InvalidCursorError, 'invalid_cursor'],
  [errors.InvalidCreatedAtError, 'invalid_created_at'],
  [errors.InvalidRequestError, 'invalid_request'],
  [errors.RequestAbortedError, 'request_aborted'],
  [errors.SerializationError, 'serialization_error'],
  [errors.EventTooLargeError, 'event_too_large'],
  [errors.ConfigError, 'invalid_config'],
  [errors.UnauthenticatedError, 'unauthenticated'],
  [errors.ForbiddenError, 'forbidden'],
  [errors.ReplayWindowExpiredError, 'replay_window_expired'],
  [errors.StreamResetError, 'stream_reset'],
  [errors.DuplicateEventError, 'duplicate_event'],
  [errors.DuplicateEventConflictError, 'duplicate_event_conflict'],
  [errors.SlowConsumerError, 'slow_consumer'],
  [errors.TooManyConnectionsError, 'too_many_connections'],
  [errors.StoreError, 'store_error'],
  [errors.StoreUnavailableError, 'store_unavailable'],
  [errors.StoreClosedError, 'store_closed'],
  [errors.ShuttingDownError, 'shutting_down'],
  [errors.EntriesLostError, 'entries_lost'],
  [errors.RpcTimeoutError, 'rpc_timeout'],
  [errors.RpcTransportError, 'rpc_transport'],
];

describe('errors', () => {
  it('gives every class its code, name, and a status from the one table', () => {
    for (const [ErrorClass, code] of CLASSES) {
      const error = new ErrorClass('boom');
      expect(error).toBeInstanceOf(ReplayRailError);
      expect(error.code).toBe(code);
      expect(error.name).toBe(ErrorClass.name);
      expect(error.status).toBe(WIRE_STATUS[code]);
      expect(isReplayRailError(error)).toBe(true);
    }
  });

  it('maps every row of the error table', () => {
    const row = (code: errors.ReplayRailErrorCode) => WIRE_STATUS[code];
    expect(row('invalid_channel')).toEqual({ http: 400, ws: 4400 });
    expect(row('invalid_cursor')).toEqual({ http: 400, ws: 4400 });
    expect(row('event_too_large')).toEqual({ http: 413, ws: 4400 });
    expect(row('unauthenticated')).toEqual({ http: 401, ws: 4401 });
    expect(row('forbidden')).toEqual({ http: 403, ws: 4403 });
    expect(row('origin_not_allowed')).toEqual({ http: 403, ws: 4403 });
    expect(row('replay_window_expired')).toEqual({ http: 410, ws: 4410 });
    expect(row('stream_reset')).toEqual({ http: 410, ws: 4410 });
    expect(row('duplicate_event_conflict')).toEqual({ http: 409, ws: null });
    expect(row('slow_consumer')).toEqual({ http: null, ws: 4408 });
    expect(row('store_unavailable')).toEqual({ http: 503, ws: 1011 });
    expect(row('shutting_down')).toEqual({ http: 503, ws: 1001 });
    expect(row('too_many_connections')).toEqual({ http: 503, ws: 1013 });
    // Every code has its class: those above, and origin_not_allowed (a ForbiddenError),
    // internal_error and rpc_error (their constructors take more than a message).
    expect(new Set(CLASSES.map(([, code]) => code)).size + 3).toBe(Object.keys(WIRE_STATUS).length);
  });

  it('gives an RpcError its JSON-RPC code and data beside the rpc_error code', () => {
    const error = new errors.RpcError(-32000, 'division by zero', { a: 1 });
    expect(error).toMatchObject({ code: 'rpc_error', rpcCode: -32000, message: 'division by zero', data: { a: 1 } });
    expect(error.context).toEqual({ rpcCode: -32000 });
    expect(isReplayRailError(error, 'rpc_error')).toBe(true);
    expect(new errors.RpcError(-32601, 'Method not found').data).toBeNull();
  });

  it('turns a foreign throw into an internal_error that keeps it as its cause, and leaves ours as they are', () => {
    const ours = new errors.ForbiddenError('no');
    expect(errors.toReplayRailError(ours)).toBe(ours);
    const foreign = new Error('db password is hunter2');
    const mapped = errors.toReplayRailError(foreign);
    expect(mapped).toMatchObject({ code: 'internal_error', message: 'internal error', cause: foreign });
    expect(mapped.toJSON()).toEqual({
      name: 'InternalError',
      code: 'internal_error',
      message: 'internal error',
      context: {},
    });
    expect(mapped.status).toEqual({ http: 500, ws: 1011 });
    expect(errors.toReplayRailError('a string').code).toBe('internal_error');
  });

  it('recognises errors by brand and code, not by class', () => {
    const expired = new errors.StreamResetError('gone');
    expect(errors.isReplayRailError(expired)).toBe(true);
    expect(errors.isReplayRailError(expired, 'replay_window_expired', 'stream_reset')).toBe(true);
    expect(errors.isReplayRailError(expired, 'replay_window_expired')).toBe(false);
    // What another copy of this package makes: the same brand and fields, another class.
    const twin = Object.assign(new Error('gone'), { code: 'stream_reset', [Symbol.for('replayrail.error')]: true });
    expect(errors.isReplayRailError(twin, 'stream_reset')).toBe(true);
    expect(errors.isReplayRailError(new Error('x'))).toBe(false);
    expect(errors.isReplayRailError({ code: 'stream_reset' }, 'stream_reset')).toBe(false);
    expect(errors.isReplayRailError(null)).toBe(false);
  });

  it('keeps subclass relations that callers rely on', () => {
    expect(new errors.StreamResetError('x')).toBeInstanceOf(errors.ReplayWindowExpiredError);
    expect(new errors.EventTooLargeError('x')).toBeInstanceOf(errors.SerializationError);
    expect(new errors.StoreUnavailableError('x')).toBeInstanceOf(errors.StoreError);
    expect(new errors.StoreClosedError('x')).toBeInstanceOf(errors.StoreError);
    expect(new errors.ForbiddenError('bad origin', { code: 'origin_not_allowed' }).status.ws).toBe(4403);
  });

  it('carries context and cause, and serializes to JSON', () => {
    const cause = new Error('socket hang up');
    const error = new errors.StoreUnavailableError('redis is down', { context: { host: 'r1' }, cause });
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'StoreUnavailableError',
      code: 'store_unavailable',
      message: 'redis is down',
      context: { host: 'r1' },
    });
  });

  it('recognises an error from another copy of the package, and treats unknowns as internal', () => {
    const brand = Symbol.for('replayrail.error');
    const foreign = Object.assign(new Error('other copy'), { [brand]: true, code: 'forbidden' });
    expect(isReplayRailError(foreign)).toBe(true);
    expect(isReplayRailError(new Error('plain'))).toBe(false);
    expect(isReplayRailError(null)).toBe(false);
    expect(wireStatusOf(new TypeError('bug'))).toEqual({ http: 500, ws: 1011 });
    expect(wireStatusOf(new errors.UnauthenticatedError())).toEqual({ http: 401, ws: 4401 });
  });
});
