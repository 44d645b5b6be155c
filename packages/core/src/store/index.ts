/**
 * @module
 * `@replayrail/core/store`: what an author of an `EventStore` needs. The interface,
 * the entry layout shared with the Python library (encoding and lenient decoding),
 * the expiry rules (docs/architecture.md, "Expiry and reset") as one function every store calls with its own
 * figures, and idempotent publish by event_id. Check a store with the conformance
 * suite of `@replayrail/core/testing`.
 *
 * @example
 * import { assertReplayable, decodeEntry, type EventStore } from '@replayrail/core/store';
 */

export { cursorAtTime, nextCursor, previousCursor } from '../cursor.js';
export type { DecodeOptions } from '../envelope.js';
export { decodeEntry, ENTRY_FIELDS, encodeEvent, fieldsByteLength } from '../envelope.js';
export type { StreamFigures } from '../expiry.js';
export { assertReplayable, assertReplayableSince, NO_STREAM } from '../expiry.js';
export type { FingerprintedContent } from '../fingerprint.js';
export { eventFingerprint, pythonJsonDumps } from '../fingerprint.js';
export type { IdempotencyRecord } from '../idempotency.js';
export { DEFAULT_IDEMPOTENCY_TTL_SECONDS, duplicateConflict, duplicateEvent, isRetryOf } from '../idempotency.js';
export { decodeJsonObject, encodeJsonObject } from '../json.js';
export type { LargeIntegers } from '../large-integers.js';
export { largeIntegersOption } from '../large-integers.js';
export { booleanOption, choiceOption, integerOption, optionError } from '../options.js';
export type { EventFields } from '../types.js';
export {
  assertDurableFork,
  DEFAULT_MAX_FORK_MESSAGES,
  deletedStreamError,
  forkExpiry,
  messageByteLength,
  messagePrefix,
} from './durable-fork.js';
export {
  assertDurableAppend,
  assertDurableRead,
  assertDurableRef,
  MAX_DURABLE_PATH_LENGTH,
  MAX_PRODUCER_ID_LENGTH,
  normaliseContentType,
} from './durable-stream-checks.js';
export type {
  DurableAppend,
  DurableAppendResult,
  DurableCreate,
  DurableCreateResult,
  DurableFork,
  DurableForkResult,
  DurableMessage,
  DurableReadQuery,
  DurableReadResult,
  DurableRetention,
  DurableStreamConfig,
  DurableStreamInfo,
  DurableStreamRef,
  DurableStreamStore,
  ProducerClaim,
  StoredDurableMessage,
} from './durable-stream-store.js';
export type { AppendRequest, EventStore, ReplayQuery } from './event-store.js';
export {
  deadLetterFields,
  decodeDeadLetter,
  decodeFailure,
  encodeFailure,
  groupEntry,
  redriveFields,
} from './group-layout.js';
export type {
  ClaimQuery,
  ClaimResult,
  DeadLetter,
  DeadLetterFailure,
  EntryRef,
  EntrySource,
  GroupConsumerInfo,
  GroupEntry,
  GroupInfo,
  GroupRead,
  GroupReadQuery,
  GroupRef,
  GroupStore,
  LostEntries,
  RecordedFailure,
} from './group-store.js';
export type {
  EventLocation,
  LineageIndexing,
  LineageMark,
  LineageRecord,
  LineageRetention,
  LineageStore,
} from './lineage-store.js';
export type { RawAppendOptions, RawStreamEntry, RawStreams } from './raw-streams.js';
export type { ReadQuery } from './read-query.js';
export type { StateChange, StateEntry, StatePage, StateQuery, StateStore, StateUpdate } from './state-store.js';
export type { StreamRef } from './stream-ref.js';
