/**
 * @module
 * The event envelope's encodings (docs/architecture.md, "The envelope and the Redis layout"): a `NewEvent` to the seven strings of
 * a stream entry that the Python ReplayRail writes and reads too (`EventFields`),
 * an entry back to a `StoredEvent`, and a `StoredEvent` to its wire JSON. The
 * shapes themselves are in types.ts.
 */

import { readCreatedAt } from './created-at.js';
import { EventTooLargeError, SerializationError } from './errors.js';
import { encodeJsonObject, readJsonObject, utf8Length } from './json.js';
import type { LargeIntegers } from './large-integers.js';
import type { Cursor, EventFields, NewEvent, ReplayRailLimits, StoredEvent } from './types.js';
import { assertChannel, assertEventId, assertEventType } from './validate.js';

/** The entry fields in the order they are written (the Python library's order). */
export const ENTRY_FIELDS = [
  'event_id',
  'channel',
  'type',
  'payload',
  'actor',
  'metadata',
  'created_at',
] as const satisfies readonly (keyof EventFields)[];

/**
 * Validates a `NewEvent` and encodes it as entry fields: channel, type and event_id
 * by the rules of docs/architecture.md ("Limits and bad input"), payload / actor / metadata as lossless JSON objects, and
 * the whole event within `limits.maxEventBytes`. One JSON encoding per field.
 */
export function encodeEvent(event: NewEvent, limits: ReplayRailLimits): EventFields {
  assertChannel(event.channel, limits);
  assertEventType(event.type, limits);
  assertEventId(event.event_id, limits);
  const fields: EventFields = {
    event_id: event.event_id,
    channel: event.channel,
    type: event.type,
    payload: encodeJsonObject(event.payload, 'payload', limits.maxJsonDepth),
    actor: event.actor === null ? 'null' : encodeJsonObject(event.actor, 'actor', limits.maxJsonDepth),
    metadata: encodeJsonObject(event.metadata, 'metadata', limits.maxJsonDepth),
    created_at: event.created_at,
  };
  // A UTF-16 unit is at most 3 UTF-8 bytes: most events are far below the limit
  // and need no exact count.
  let units = 0;
  for (const name of ENTRY_FIELDS) units += fields[name].length;
  if (units * 3 <= limits.maxEventBytes) return fields;
  const bytes = fieldsByteLength(fields);
  if (bytes > limits.maxEventBytes) {
    throw new EventTooLargeError(
      `event is ${bytes} bytes encoded, over the limit of ${limits.maxEventBytes} (limits.maxEventBytes)`,
      { context: { bytes, maxEventBytes: limits.maxEventBytes, channel: event.channel, type: event.type } },
    );
  }
  return fields;
}

/** The UTF-8 size of an entry's values, which is what the event size limit bounds. */
export function fieldsByteLength(fields: EventFields): number {
  let bytes = 0;
  for (const name of ENTRY_FIELDS) bytes += utf8Length(fields[name]);
  return bytes;
}

/** How `decodeEntry` reads what other writers may have stored. */
export interface DecodeOptions {
  /** What an integer outside ±(2^53 − 1) becomes. @default 'error' */
  readonly largeIntegers?: LargeIntegers;
  /** Keep the event's wire JSON, spliced from the stored texts, for `wireJsonAsRead` (a transport will frame it). */
  readonly framed?: boolean;
}

/**
 * Reads a stream entry as written by this library or the Python one: a missing or
 * empty `event_id` falls back to the stream ID, a missing `metadata` is `{}`, an
 * `actor` of `null` or empty is null, a `created_at` in another ISO form (an offset,
 * three fractional digits) is read in the envelope's. An entry that cannot be
 * decoded (JSON that is not an object, a `created_at` that is not a time with a
 * zone), or that holds an integer JavaScript would round (unless
 * `largeIntegers: 'string'`), raises `SerializationError` naming its ID; it is never
 * dropped or changed in silence.
 */
export function decodeEntry(
  id: Cursor,
  fields: Readonly<Record<string, string | undefined>>,
  options: DecodeOptions = {},
): StoredEvent {
  const where = { id, channel: fields.channel };
  const large = options.largeIntegers ?? 'error';
  const required = (name: 'channel' | 'type' | 'payload' | 'created_at'): string => {
    const value = fields[name];
    if (value === undefined || value === '') {
      throw new SerializationError(`stream entry ${id} has no ${name} field`, { context: { ...where, field: name } });
    }
    return value;
  };
  const actorText = fields.actor;
  const actor =
    actorText === undefined || actorText === '' || actorText === 'null'
      ? undefined
      : readJsonObject(actorText, 'actor', where, large);
  const channel = required('channel');
  const type = required('type');
  const payload = readJsonObject(required('payload'), 'payload', where, large);
  const metadata =
    fields.metadata === undefined ? undefined : readJsonObject(fields.metadata, 'metadata', where, large);
  const event: StoredEvent = {
    id,
    event_id: fields.event_id || id,
    channel,
    type,
    payload: payload.value,
    actor: actor === undefined ? null : actor.value,
    metadata: metadata === undefined ? {} : metadata.value,
    created_at: storedCreatedAt(required('created_at'), where),
  };
  if (options.framed !== true) return event;
  // The frame, from the texts just checked: toWireJson's JSON, nothing encoded again.
  asRead.set(
    event,
    `{"id":${JSON.stringify(id)},"event_id":${JSON.stringify(event.event_id)},"channel":${JSON.stringify(event.channel)},"type":${JSON.stringify(event.type)},"payload":${payload.text},"actor":${actor === undefined ? 'null' : actor.text},"metadata":${metadata === undefined ? '{}' : metadata.text},"created_at":${JSON.stringify(event.created_at)}}`,
  );
  return event;
}

// The entry's time in the envelope's form; a value that is no time makes the entry undecodable.
function storedCreatedAt(text: string, where: { id: Cursor; channel: string | undefined }): string {
  try {
    return readCreatedAt(text);
  } catch (error) {
    throw new SerializationError(
      `stream entry ${where.id}: stored created_at ${JSON.stringify(text.slice(0, 64))} is not an ISO 8601 time with a zone`,
      { context: { ...where, field: 'created_at', value: text.slice(0, 64) }, cause: error },
    );
  }
}

// The wire JSON of each event decodeEntry read, built from the stored texts (see wireJsonAsRead).
const asRead = new WeakMap<StoredEvent, string>();

/**
 * The wire JSON of an event a store has just read for framing (`ReplayQuery.framed`):
 * spliced from its stored texts by `decodeEntry`, each checked there (JSON objects,
 * integers JavaScript keeps exactly, the envelope's created_at), so a catch-up and a
 * live feed frame an entry without encoding it again. The same JSON value as
 * `toWireJson` gives (its spacing and number forms may be the stored ones, e.g.
 * Python's `{"a": 1.0}`). Only for an event no code has been handed yet: one changed
 * since it was read would still be framed as stored. Any other event: `toWireJson`.
 */
export function wireJsonAsRead(event: StoredEvent): string {
  return asRead.get(event) ?? toWireJson(event);
}

/**
 * The wire JSON of a stored event, keys in the documented order:
 * `{"id","event_id","channel","type","payload","actor","metadata","created_at"}`, and
 * `"snapshot":true` after them on an event from a snapshot.
 */
export function toWireJson(event: StoredEvent): string {
  const json = JSON.stringify({
    id: event.id,
    event_id: event.event_id,
    channel: event.channel,
    type: event.type,
    payload: event.payload,
    actor: event.actor,
    metadata: event.metadata,
    created_at: event.created_at,
  });
  // A snapshot's event says so last; every other frame stays the Python library's shape.
  return event.snapshot === true ? `${json.slice(0, -1)},"snapshot":true}` : json;
}
