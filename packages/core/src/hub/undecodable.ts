/**
 * @module
 * An entry no reader can decode (Python's bare `NaN`, a `created_at` that is no
 * time) in the middle of a page. A store fails the whole page naming the entry;
 * the hub then reads the events before it (they decode), delivers them, tells every
 * subscriber the entry's ID, and goes on after it. `rail.replay` reads them the same
 * way and returns them as a page that ends before the entry. Nothing is dropped in
 * silence, and nothing good is skipped.
 */

import { previousCursor } from '../cursor.js';
import { isReplayRailError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import type { StreamRef } from '../store/stream-ref.js';
import type { Cursor, StoredEvent } from '../types.js';

/** The ID of the entry a SerializationError names, if it names one (an undecodable stored entry). */
export function undecodableEntry(error: unknown): Cursor | undefined {
  if (!isReplayRailError(error, 'serialization_error')) return undefined;
  const id = error.context.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The events from `start` up to, not including, the undecodable entry `bad`: the
 * part of a failed page that decodes. `limit` is the failed page's, so they fit.
 */
export function eventsBefore(
  store: EventStore,
  stream: StreamRef,
  start: { readonly after?: Cursor; readonly since?: Date },
  bad: Cursor,
  limit: number,
): Promise<StoredEvent[]> {
  return store.replay(stream, { ...start, until: previousCursor(bad), limit, framed: true });
}
