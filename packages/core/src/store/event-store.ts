/**
 * @module
 * The `EventStore` interface: what a backend must do so `ReplayRail` can publish,
 * replay and read on it. `ReplayRail` validates every argument before a store sees
 * it; stores own ordering, retention, expiry detection and idempotency, because
 * those must be decided atomically where the data lives. Every store must pass the
 * conformance suite in `@replayrail/core/testing`.
 */

import type { Cursor, DuplicatePolicy, EventFields, NewEvent, StoredEvent } from '../types.js';
import type { DurableStreamStore } from './durable-stream-store.js';
import type { GroupStore } from './group-store.js';
import type { LineageIndexing, LineageStore } from './lineage-store.js';
import type { RawStreams } from './raw-streams.js';
import type { ReadQuery } from './read-query.js';
import type { StateChange, StateStore } from './state-store.js';
import type { StreamRef } from './stream-ref.js';

/** One validated event to append, with everything the store needs to decide. */
export interface AppendRequest {
  readonly event: NewEvent;
  /** The event encoded as entry fields (one JSON encoding per field, done once). */
  readonly fields: EventFields;
  /** Trim the stream to this many entries after appending; `null` keeps all. */
  readonly maxLength: number | null;
  /** Trim approximately (`MAXLEN ~`): at least `maxLength` remain. */
  readonly approximate: boolean;
  /**
   * Trim entries older than this many ms by the store's clock after appending
   * (`MINID <now - maxAge>`: the channel's `maxStreamAge`), approximately as
   * `approximate` says; `null` trims none by age. The store's own clock, the one its
   * IDs are made by, so a client's clock cannot move what is trimmed.
   */
  readonly maxAge: number | null;
  /**
   * What the event does to the channel's latest-per-key state (a keyed channel):
   * applied in the same atomic step as the append, or not at all; `null` for none.
   * A retry of an idempotent publish changes nothing.
   */
  readonly state: StateChange | null;
  /**
   * The event's correlation index entry (docs/lineage.md), added in the same step as
   * the append, or not at all; `null` for none (no correlation, or a store without
   * `lineage`). A retry of an idempotent publish adds nothing.
   */
  readonly lineage: LineageIndexing | null;
  /**
   * Present when the event_id was chosen by the caller: the store appends only if no
   * record for the event_id exists, atomically, and records it. A retry (same
   * content) returns the first stored event, or throws `DuplicateEventError` (see
   * `duplicateEvent`) with the `raise` policy; other content throws
   * `DuplicateEventConflictError` (see `duplicateConflict`). `null`: append as is.
   */
  readonly idempotency: {
    /** `eventFingerprint(content)`. */
    readonly fingerprint: string;
    /**
     * The event as fingerprinted, which a retry is compared with (`isRetryOf`): the
     * stored event but for what the rail adds to it (a trace context in its metadata).
     */
    readonly content: NewEvent;
    /** false when ReplayRail picked created_at, so a retry compares on content alone. */
    readonly matchCreatedAt: boolean;
    readonly duplicatePolicy: DuplicatePolicy;
  } | null;
}

/**
 * A replay query. With `after`, events with a greater ID; with `since`, events at or
 * after that time; with neither, from the first retained event. With `until`, none
 * with a greater ID than it.
 */
export interface ReplayQuery {
  readonly after?: Cursor;
  readonly since?: Date;
  /** The greatest ID to include (inclusive, like XRANGE's end). */
  readonly until?: Cursor;
  readonly limit: number;
  /**
   * The events go to a transport to be framed (the live hub's reads): a store that
   * decodes entries passes it on (`decodeEntry`'s `framed`), so each event's wire
   * JSON comes from its checked stored texts (`wireJsonAsRead`). Other reads (a
   * page for the application, a consumer's) keep nothing of the sort.
   */
  readonly framed?: boolean;
}

/**
 * A durable, ordered, per-channel event log with cursors.
 *
 * Expiry (docs/architecture.md, "Expiry and reset"): `replay` and `read` throw `ReplayWindowExpiredError` when an
 * event after the cursor is no longer retained, and `StreamResetError` when the
 * store lost history the cursor points into, deciding this atomically with the page
 * they read and returning no events with the error. `0-0` never expires.
 */
export interface EventStore {
  /** Appends one event, trimming and deduplicating as asked; resolves to the stored event. */
  append(stream: StreamRef, request: AppendRequest): Promise<StoredEvent>;
  /**
   * One page of retained events, ascending by ID, at most `query.limit`. An entry it
   * cannot decode fails the page with `decodeEntry`'s `SerializationError`, which
   * names it: the rail and the hub then read the events before it (`until`).
   */
  replay(stream: StreamRef, query: ReplayQuery): Promise<StoredEvent[]>;
  /** Like `replay` after a cursor, but waits up to `blockMs` when nothing is there yet. */
  read(stream: StreamRef, query: ReadQuery): Promise<StoredEvent[]>;
  /** The ID of the channel's last entry, or `0-0` when it has none. */
  latestCursor(stream: StreamRef): Promise<Cursor>;
  /** Resolves when the store answers; throws `StoreUnavailableError` when it does not. */
  healthcheck(): Promise<void>;
  /** Releases what the store holds and wakes pending reads; later calls throw `StoreClosedError`. */
  close(): Promise<void>;
  /**
   * The store's consumer groups, if it has them (both of ours do): what
   * `rail.consume` and `rail.group` run on. Without it, they throw `ConfigError`.
   */
  readonly groups?: GroupStore;
  /**
   * Streams in a layout of their own (entries of fields, not events), if the store
   * has them (both of ours do): what `@replayrail/rpc` sends its commands and
   * replies through.
   */
  readonly raw?: RawStreams;
  /**
   * The latest event of each key of keyed channels (docs/state.md), if the store
   * keeps it (both of ours do). A rail with a keyed channel needs it.
   */
  readonly state?: StateStore;
  /**
   * The index per correlation that `rail.lineage` reads (docs/lineage.md), if the
   * store keeps one (both of ours do). Without it, events are not indexed and
   * `rail.lineage` throws `ConfigError`.
   */
  readonly lineage?: LineageStore;
  /**
   * Streams of the Durable Streams HTTP protocol (docs/durable-streams.md), if the store
   * keeps them (both of ours do): what `@replayrail/durable-streams` serves. Apart from
   * the channels' streams, under the same key prefix.
   */
  readonly durableStreams?: DurableStreamStore;
}
