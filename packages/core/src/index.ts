/**
 * @module
 * `@replayrail/core`: durable, replayable, auditable realtime events. What an
 * application uses: the `ReplayRail` facade and its options, the event shapes,
 * where a read starts, consumers and their groups, cursors, and the errors an
 * application throws or tells apart. Everything else has its own door:
 *
 * - `@replayrail/core/errors`: every error class (recognise them by code, with
 *   `isReplayRailError`); `@replayrail/core/cursor`: cursor arithmetic;
 *   `@replayrail/core/start`: the start vocabulary's parser;
 * - `@replayrail/core/store` for authors of stores, `@replayrail/core/protocol` for
 *   authors of transports, `@replayrail/core/testing` for the conformance suite;
 * - `@replayrail/core/telemetry` for authors of a telemetry backend,
 *   `@replayrail/core/opentelemetry` for the OpenTelemetry one,
 *   `@replayrail/core/trace-context` for W3C `traceparent` values;
 * - `@replayrail/core/lineage`: a workflow's causation graph, its convention and
 *   its Mermaid drawing;
 * - `@replayrail/core/schema`: zod schemas of the envelope;
 *   `@replayrail/core/close-codes`: every WebSocket close code.
 */

export type { ChannelPolicy, ChannelStateOptions } from './channel-policy.js';
export type { RebuildReport, Snapshot, SnapshotPage } from './channel-state.js';
export type { ReplayRailConfig, ResolvedConfig } from './config.js';
export type { Backoff } from './consumer/backoff.js';
export type { Consumer, ConsumerChannelStats, StopOptions } from './consumer/consumer.js';
export type { ConsumerGroup, DeadLettersOptions } from './consumer/group.js';
export type {
  ConsumeOptions,
  EventHandler,
  HandlerContext,
  RawConsumeOptions,
  RawEntry,
  RawEntryHandler,
} from './consumer/options.js';
export { compareCursors, isCursor } from './cursor.js';
export type { ReplayRailErrorCode } from './errors.js';
export {
  ForbiddenError,
  InvalidRequestError,
  isReplayRailError,
  ReplayRailError,
  UnauthenticatedError,
} from './errors.js';
export type { EventListener, FramedEvent, Subscription, SubscriptionEnd } from './hub/subscription.js';
export type { Lineage } from './lineage/lineage.js';
export { toMermaid } from './lineage/mermaid.js';
export type { PublishInput } from './publish-input.js';
export type {
  HealthReport,
  LineageOptions,
  LineageRebuildReport,
  ReadOptions,
  ReplayAllOptions,
  ReplayOptions,
  ReplayPage,
  ReplayRailOptions,
  SnapshotContinuation,
  SnapshotOptions,
  SubscribeOptions,
} from './rail.js';
export { ReplayRail } from './rail.js';
export type { StartFrom, StartOptions } from './start.js';
export type { EventStore } from './store/event-store.js';
export type { DeadLetter, GroupConsumerInfo, GroupInfo } from './store/group-store.js';
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
