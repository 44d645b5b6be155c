/**
 * @module
 * The shapes every part of core shares: cursors, JSON values, the event in its
 * three forms, and the config types they depend on. Types only, importing
 * nothing, so no module cycle can run through them.
 */

/** A stream ID, `<ms>-<seq>`, in canonical form (no leading zeros, ASCII digits). */
export type Cursor = string;

/** A JSON value as it round-trips through `JSON.parse`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object: what payload, actor and metadata must be. */
export type JsonObject = { [key: string]: JsonValue };

/** An event ready to store: validated, with its event_id and created_at fixed. */
export interface NewEvent {
  /** The logical ID: a uuid, or the caller's own for idempotent retries. */
  event_id: string;
  channel: string;
  type: string;
  payload: JsonObject;
  /** Who caused the event (audit context), or null. */
  actor: JsonObject | null;
  /** Free-form audit context: correlation IDs, sources. */
  metadata: JsonObject;
  /** UTC, `Z`, no fraction or exactly six digits: `2026-06-29T12:00:00.123000Z`. */
  created_at: string;
}

/** A stored event: what replay returns and what a WebSocket frame carries. */
export interface StoredEvent extends NewEvent {
  /** The cursor: the stream entry ID, `<ms>-<seq>`. */
  id: Cursor;
  /**
   * True on an event handed over from a channel's snapshot (the latest event of its
   * key, docs/state.md): its ID is not a cursor to resume from. Absent otherwise.
   */
  snapshot?: true;
}

/** A stream entry: every field a string, in the order of `ENTRY_FIELDS`. */
export interface EventFields {
  event_id: string;
  channel: string;
  type: string;
  /** Compact JSON object. */
  payload: string;
  /** Compact JSON object, or the text `null`. */
  actor: string;
  /** Compact JSON object. */
  metadata: string;
  created_at: string;
}

/** Where a subscription without a cursor starts. */
export type StartPosition = 'latest' | 'earliest';

/** Where a read may start besides an end of the channel: its snapshot, then the events after it (keyed channels). */
export type SnapshotStart = 'snapshot';

/** What publishing an `event_id` again with the same content does. */
export type DuplicatePolicy = 'return_existing' | 'raise';

/** Input limits (docs/architecture.md, "Limits and bad input"). Each bounds memory or work that bad input could inflate. */
export interface ReplayRailLimits {
  /** Longest channel name. @default 256 */
  maxChannelLength: number;
  /** Longest event type. @default 128 */
  maxEventTypeLength: number;
  /** Longest event_id. @default 128 */
  maxEventIdLength: number;
  /** Largest encoded event: the UTF-8 bytes of all stored fields together. @default 65536 */
  maxEventBytes: number;
  /** Deepest nesting of objects and arrays in payload, actor or metadata. @default 32 */
  maxJsonDepth: number;
  /** Largest incoming WebSocket frame, in bytes. @default 16384 */
  maxFrameBytes: number;
  /** Most channels one multiplexed socket may subscribe to. @default 100 */
  maxSubscriptionsPerSocket: number;
  /** Largest page one replay or read may ask for, and the most a catch-up page grows to. @default 1000 */
  maxReplayLimit: number;
  /**
   * Most bytes of events one catch-up page holds (pages grow from `defaultReplayLimit`
   * toward `maxReplayLimit` events while a subscriber keeps up, within this).
   * @default 524288
   */
  maxCatchUpPageBytes: number;
}
