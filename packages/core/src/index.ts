/**
 * @module
 * `@replayrail/core`: durable, replayable, auditable realtime events. The envelope,
 * cursors, errors and their wire codes, config, the `EventStore` interface and the
 * `ReplayRail` facade. Stores live in `@replayrail/store-memory` and
 * `@replayrail/store-redis`; the conformance suite in `@replayrail/core/testing`.
 */

export type { ReplayRailConfig, ResolvedConfig } from './config.js';
export { resolveConfig } from './config.js';
export { formatCreatedAt, nowCreatedAt } from './created-at.js';
export type { CursorParts } from './cursor.js';
export {
  assertCursor,
  compareCursors,
  cursorAtTime,
  formatCursor,
  isCursor,
  LIVE_CURSOR,
  nextCursor,
  parseCursor,
  ZERO_CURSOR,
} from './cursor.js';
export type { DecodeOptions } from './envelope.js';
export { decodeEntry, ENTRY_FIELDS, encodeEvent, fieldsByteLength, toWireJson } from './envelope.js';
export type { ErrorContext, ReplayRailErrorCode, ReplayRailErrorOptions, WireStatus } from './errors.js';
export {
  ConfigError,
  DuplicateEventConflictError,
  DuplicateEventError,
  EventTooLargeError,
  ForbiddenError,
  InvalidChannelError,
  InvalidCreatedAtError,
  InvalidCursorError,
  InvalidEventIdError,
  InvalidEventTypeError,
  InvalidRequestError,
  isReplayRailError,
  ReplayRailError,
  ReplayWindowExpiredError,
  SerializationError,
  ShuttingDownError,
  SlowConsumerError,
  StoreClosedError,
  StoreError,
  StoreUnavailableError,
  StreamResetError,
  TooManyConnectionsError,
  toReplayRailError,
  UnauthenticatedError,
  WIRE_STATUS,
  wireStatusOf,
} from './errors.js';
export type { StreamFigures } from './expiry.js';
export { assertReplayable, assertReplayableSince, NO_STREAM } from './expiry.js';
export type { FingerprintedContent } from './fingerprint.js';
export { eventFingerprint, pythonJsonDumps } from './fingerprint.js';
export type { EventListener, FramedEvent, SubscriptionEnd } from './hub/subscription.js';
export { Subscription } from './hub/subscription.js';
export type { IdempotencyRecord } from './idempotency.js';
export { DEFAULT_IDEMPOTENCY_TTL_SECONDS, duplicateConflict, duplicateEvent, isRetryOf } from './idempotency.js';
export { decodeJsonObject, encodeJsonObject, utf8Length } from './json.js';
export type { LargeIntegers } from './large-integers.js';
export { largeIntegersOption } from './large-integers.js';
export type { ClientFrame } from './protocol/frames.js';
export {
  errorFrame,
  expiredFrame,
  isClientCursor,
  liveFrame,
  PONG_FRAME,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  parseClientFrame,
  subscribedFrame,
  unsubscribedFrame,
} from './protocol/frames.js';
export type {
  Authorize,
  AuthorizeRequest,
  ClientStart,
  ProtocolSocket,
  SessionOptions,
} from './protocol/session.js';
export { checkAuthorized, ProtocolSession } from './protocol/session.js';
export type { ResolvedTransportOptions, TransportOptions } from './protocol/transport.js';
export {
  channelFromPath,
  clientStartFromQuery,
  originAllowed,
  positiveOption,
  resolveTransportOptions,
} from './protocol/transport.js';
export type {
  HealthReport,
  PublishInput,
  ReadOptions,
  ReplayAllOptions,
  ReplayOptions,
  ReplayPage,
  ReplayRailOptions,
  SubscribeOptions,
} from './rail.js';
export { ReplayRail } from './rail.js';
export { newEventSchema, parseStoredEvent, storedEventSchema } from './schema.js';
export type { AppendRequest, EventStore, ReadQuery, ReplayQuery, StreamRef } from './store.js';
export type {
  Cursor,
  DuplicatePolicy,
  EventFields,
  JsonObject,
  JsonValue,
  NewEvent,
  ReplayRailLimits,
  StartPosition,
  StoredEvent,
} from './types.js';
export { assertChannel, assertEventId, assertEventType } from './validate.js';
