/**
 * @module
 * `@replayrail/core`: durable, replayable, auditable realtime events. What an
 * application uses: the `ReplayRail` facade and its options, the event shapes,
 * cursors, config and errors. Stores come from `@replayrail/store-memory` and
 * `@replayrail/store-redis`, transports from `@replayrail/server-ws` and
 * `@replayrail/adapter-hono`. Authors of stores import `@replayrail/core/store`,
 * authors of transports `@replayrail/core/protocol`, and both run the conformance
 * suite of `@replayrail/core/testing`.
 */

export type { ReplayRailConfig, ResolvedConfig } from './config.js';
export type { Backoff } from './consumer/backoff.js';
export type { Consumer, ConsumerChannelStats, StopOptions } from './consumer/consumer.js';
export type { ConsumerGroup, DeadLettersOptions } from './consumer/group.js';
export type { ConsumeOptions, EventHandler, HandlerContext } from './consumer/options.js';
export type { CursorParts } from './cursor.js';
export {
  assertCursor,
  compareCursors,
  formatCursor,
  isCursor,
  LIVE_CURSOR,
  parseCursor,
  ZERO_CURSOR,
} from './cursor.js';
export type { ErrorContext, ReplayRailErrorCode, ReplayRailErrorOptions } from './errors.js';
export {
  ConfigError,
  DuplicateEventConflictError,
  DuplicateEventError,
  EntriesLostError,
  EventTooLargeError,
  ForbiddenError,
  InternalError,
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
  UnauthenticatedError,
} from './errors.js';
export type { EventListener, FramedEvent, Subscription, SubscriptionEnd } from './hub/subscription.js';
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
export type { EventStore } from './store/event-store.js';
export type { DeadLetter, EntryRef, EntrySource, GroupConsumerInfo, GroupInfo } from './store/group-store.js';
export type {
  ConnectionKind,
  ConsumerFigures,
  ConsumerTelemetry,
  PublishedEvent,
  PublishScope,
  RailFigures,
  Telemetry,
  TraceCarrier,
} from './telemetry/telemetry.js';
export type {
  Cursor,
  DuplicatePolicy,
  JsonObject,
  JsonValue,
  NewEvent,
  ReplayRailLimits,
  StartPosition,
  StoredEvent,
} from './types.js';
export { assertChannel, assertEventId, assertEventType } from './validate.js';
