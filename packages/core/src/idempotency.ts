/**
 * @module
 * Idempotent publish by event_id (docs/architecture.md, "The envelope and the Redis layout"), shared by every store so they agree
 * on what counts as "the same event". A store keeps one record per event_id,
 * `{stream_key, stream_id, fingerprint, created_at}` (the Python library's three
 * fields plus ours), and decides atomically whether a publish is new.
 */

import { DuplicateEventConflictError, DuplicateEventError } from './errors.js';
import { eventFingerprint } from './fingerprint.js';
import type { Cursor, DuplicatePolicy, NewEvent, StoredEvent } from './types.js';

/** How long an idempotency record lives by default: 24 hours. */
export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;

/** What a store remembers about the first publish of an event_id. */
export interface IdempotencyRecord {
  stream_key: string;
  stream_id: Cursor;
  fingerprint: string;
  /**
   * The first publish's created_at, so a retry that did not fix its own time is
   * compared on content alone. Absent in records the Python library wrote.
   */
  created_at?: string;
}

/**
 * True when `event` is a retry of the publish `record` remembers. With
 * `matchCreatedAt` false (the caller let ReplayRail pick the time) the retry is
 * fingerprinted with the first publish's created_at, so time passing is no conflict.
 */
export function isRetryOf(record: IdempotencyRecord, event: NewEvent, matchCreatedAt: boolean): boolean {
  const createdAt = matchCreatedAt ? event.created_at : (record.created_at ?? event.created_at);
  return eventFingerprint({ ...event, created_at: createdAt }) === record.fingerprint;
}

/** The error for an event_id reused with different content. */
export function duplicateConflict(event: NewEvent, record: IdempotencyRecord): DuplicateEventConflictError {
  return new DuplicateEventConflictError(
    `event_id ${JSON.stringify(event.event_id)} was already published with different content (as ${record.stream_id})`,
    { context: { event_id: event.event_id, channel: event.channel, existing_id: record.stream_id } },
  );
}

/**
 * What a store returns for a retry: the first stored event, or, with the `raise`
 * duplicate policy, a `DuplicateEventError` naming it.
 */
export function duplicateEvent(first: StoredEvent, policy: DuplicatePolicy): StoredEvent {
  if (policy === 'raise') {
    throw new DuplicateEventError(`event_id ${JSON.stringify(first.event_id)} was already published (as ${first.id})`, {
      context: { event_id: first.event_id, channel: first.channel, existing_id: first.id },
      existing: first,
    });
  }
  return first;
}
