/**
 * @module
 * How a consumer group's own streams hold their entries, the same on every store
 * (and documented for operators and Python workers in store-redis's README):
 *
 * - a dead letter is the entry's fields as they were stored, plus `dead_*` fields
 *   saying why: `dead_source` (`stream` | `redrive`), `dead_id` (its ID there),
 *   `dead_origin` (its ID in the channel), `dead_error_name`, `dead_error_message`,
 *   `dead_attempts`, `dead_first_failed_at`, `dead_last_failed_at` (epoch ms) and
 *   `dead_consumer`;
 * - a redriven entry is the entry's stored fields plus `redriven_origin` (its ID in
 *   the channel), so its event keeps its channel ID.
 */

import type { DecodeOptions } from '../envelope.js';
import { decodeEntry } from '../envelope.js';
import { isReplayRailError, type ReplayRailError } from '../errors.js';
import type { Cursor, StoredEvent } from '../types.js';
import type { DeadLetter, DeadLetterFailure, EntrySource, GroupEntry, RecordedFailure } from './group-store.js';

const DEAD_PREFIX = 'dead_';
const REDRIVEN_ORIGIN = 'redriven_origin';

// The stored fields of an entry, without what a dead letter or a redrive added.
function entryFieldsOf(fields: Readonly<Record<string, string>>): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (!name.startsWith(DEAD_PREFIX) && name !== REDRIVEN_ORIGIN) own[name] = value;
  }
  return own;
}

function decodeOrError(
  origin: Cursor,
  fields: Readonly<Record<string, string>>,
  options: DecodeOptions,
): { event: StoredEvent | undefined; error: ReplayRailError | undefined } {
  try {
    return { event: decodeEntry(origin, fields, options), error: undefined };
  } catch (error) {
    if (isReplayRailError(error, 'serialization_error')) return { event: undefined, error };
    throw error;
  }
}

// A group's entry, decoded on first use. A class, not an object literal with getters:
// a literal's getters are closures of their own per entry, which V8 holds from the
// old generation, so every entry read (its fields and event with it) outlived the
// young-generation collections until a full one. That was most of a busy consumer's
// garbage-collection time.
class StoredGroupEntry implements GroupEntry {
  readonly id: Cursor;
  readonly source: EntrySource;
  readonly origin: Cursor;
  readonly deliveries: number;
  readonly fields: Readonly<Record<string, string>>;
  readonly failure: RecordedFailure | undefined;
  readonly #options: DecodeOptions;
  #decoded: ReturnType<typeof decodeOrError> | undefined;

  constructor(
    id: Cursor,
    source: EntrySource,
    origin: Cursor,
    fields: Readonly<Record<string, string>>,
    deliveries: number,
    options: DecodeOptions,
    failure: RecordedFailure | undefined,
  ) {
    this.id = id;
    this.source = source;
    this.origin = origin;
    this.deliveries = deliveries;
    this.fields = fields;
    this.failure = failure;
    this.#options = options;
  }

  get event(): StoredEvent | undefined {
    return this.#decode().event;
  }

  get error(): ReplayRailError | undefined {
    return this.#decode().error;
  }

  #decode(): ReturnType<typeof decodeOrError> {
    this.#decoded ??= decodeOrError(this.origin, this.fields, this.#options);
    return this.#decoded;
  }
}

/**
 * A group's entry from its raw fields: decoded, or with the reason it cannot be
 * (an undecodable entry must reach the dead letters, not stop the group). Decoded
 * when `event` or `error` is first read: a raw consumer (an RPC server) never
 * decodes its entries as events, nor pays for the error each would be.
 */
export function groupEntry(
  id: Cursor,
  source: EntrySource,
  fields: Readonly<Record<string, string>>,
  deliveries: number,
  options: DecodeOptions,
  failure?: RecordedFailure,
): GroupEntry {
  const origin = source === 'redrive' ? (fields[REDRIVEN_ORIGIN] ?? id) : id;
  const own = source === 'redrive' ? entryFieldsOf(fields) : fields;
  return new StoredGroupEntry(id, source, origin, own, deliveries, options, failure);
}

/** A recorded failure as text (how the Redis store keeps it, in a hash per group). */
export function encodeFailure(failure: RecordedFailure): string {
  return JSON.stringify([failure.errorName, failure.errorMessage, failure.firstFailedAt, failure.lastFailedAt]);
}

/** A recorded failure from its text; undefined for text that is not one. */
export function decodeFailure(text: string | null | undefined): RecordedFailure | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const [errorName, errorMessage, firstFailedAt, lastFailedAt] = JSON.parse(text) as unknown[];
    if (typeof errorName !== 'string' || typeof errorMessage !== 'string') return undefined;
    return { errorName, errorMessage, firstFailedAt: Number(firstFailedAt), lastFailedAt: Number(lastFailedAt) };
  } catch {
    return undefined;
  }
}

/** The fields of the dead letter of `entry`. */
export function deadLetterFields(entry: GroupEntry, failure: DeadLetterFailure): Record<string, string> {
  return {
    ...entry.fields,
    dead_source: entry.source,
    dead_id: entry.id,
    dead_origin: entry.origin,
    dead_error_name: failure.errorName,
    dead_error_message: failure.errorMessage,
    dead_attempts: String(failure.attempts),
    dead_first_failed_at: String(failure.firstFailedAt),
    dead_last_failed_at: String(failure.lastFailedAt),
    dead_consumer: failure.consumer,
  };
}

/** The fields of the redrive entry made from a dead letter's fields. */
export function redriveFields(dead: Readonly<Record<string, string>>): Record<string, string> {
  return { ...entryFieldsOf(dead), [REDRIVEN_ORIGIN]: dead.dead_origin ?? '' };
}

const number = (text: string | undefined): number => {
  const value = Number(text);
  return Number.isFinite(value) ? value : 0;
};

/** A dead letter from its ID and fields. */
export function decodeDeadLetter(
  id: Cursor,
  fields: Readonly<Record<string, string>>,
  options: DecodeOptions,
): DeadLetter {
  const origin = fields.dead_origin ?? fields.dead_id ?? id;
  const own = entryFieldsOf(fields);
  return {
    id,
    entry: { id: fields.dead_id ?? origin, source: fields.dead_source === 'redrive' ? 'redrive' : 'stream' },
    origin,
    event: decodeOrError(origin, own, options).event,
    fields: own,
    errorName: fields.dead_error_name ?? '',
    errorMessage: fields.dead_error_message ?? '',
    attempts: number(fields.dead_attempts),
    firstFailedAt: number(fields.dead_first_failed_at),
    lastFailedAt: number(fields.dead_last_failed_at),
    consumer: fields.dead_consumer ?? '',
  };
}
