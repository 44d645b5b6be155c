/**
 * @module
 * Whether a replay from a cursor can be complete (docs/architecture.md, "Expiry and reset"), decided from a few
 * figures every store can read atomically with its page (Redis: XINFO STREAM).
 * One function, so memory and Redis stores give the same answer for the same state.
 */

import { compareCursors, ZERO_CURSOR } from './cursor.js';
import { ReplayWindowExpiredError, StreamResetError } from './errors.js';
import type { Cursor } from './types.js';

/** What a store knows about a stream's history, read together with a page. */
export interface StreamFigures {
  /** Whether the stream exists at all. */
  readonly exists: boolean;
  /** Entries retained now. */
  readonly length: number;
  /** Entries ever appended (Redis `entries-added`); more than `length` means some were removed. */
  readonly entriesAdded: number;
  /** The first retained entry's ID, or null when none is retained. */
  readonly firstId: Cursor | null;
  /** The greatest ID ever generated (Redis `last-generated-id`). */
  readonly lastGeneratedId: Cursor;
  /** The greatest ID removed by XDEL (Redis `max-deleted-entry-id`); trimming leaves it alone. */
  readonly maxDeletedId: Cursor;
  /** Whether an entry with exactly the cursor's ID is retained. */
  readonly cursorPresent: boolean;
}

/** The figures of a stream that does not exist. */
export const NO_STREAM: StreamFigures = Object.freeze({
  exists: false,
  length: 0,
  entriesAdded: 0,
  firstId: null,
  lastGeneratedId: ZERO_CURSOR,
  maxDeletedId: ZERO_CURSOR,
  cursorPresent: false,
});

/**
 * Throws unless every event after `cursor` that the stream ever held is still
 * retained: `ReplayWindowExpiredError` when some were trimmed or deleted,
 * `StreamResetError` when the store lost history the cursor points into. `0-0`
 * never throws, nor does the last ID the stream generated. The one false
 * positive: a cursor that is exactly the last entry trimmed (and not the last
 * generated), which cannot be told from one older than it.
 */
export function assertReplayable(stream: string, cursor: Cursor, figures: StreamFigures): void {
  if (cursor === ZERO_CURSOR) return;
  const context = { channel: stream, cursor, ...figuresContext(figures) };
  if (!figures.exists) {
    throw new StreamResetError(`stream ${stream} does not exist, but cursor ${cursor} names an entry of it`, {
      context: { ...context, reason: 'stream_reset' },
    });
  }
  if (compareCursors(cursor, figures.lastGeneratedId) > 0) {
    throw new StreamResetError(
      `cursor ${cursor} is newer than anything stream ${stream} has generated (${figures.lastGeneratedId}): the store lost history`,
      { context: { ...context, reason: 'stream_reset' } },
    );
  }
  if (compareCursors(figures.maxDeletedId, cursor) > 0) {
    throw new ReplayWindowExpiredError(
      `an entry after cursor ${cursor} was deleted from stream ${stream} (up to ${figures.maxDeletedId})`,
      { context: { ...context, reason: 'expired' } },
    );
  }
  // The last ID the stream generated, none deleted after it: nothing after it can be
  // gone, however much was trimmed (a stream emptied by retention included).
  if (compareCursors(cursor, figures.lastGeneratedId) === 0) return;
  const removed = figures.entriesAdded > figures.length;
  if (removed && (figures.firstId === null || compareCursors(cursor, figures.firstId) < 0)) {
    throw new ReplayWindowExpiredError(
      `cursor ${cursor} is older than the retained history of stream ${stream} (first retained: ${figures.firstId ?? 'none'})`,
      { context: { ...context, reason: 'expired' } },
    );
  }
  if (
    figures.firstId !== null &&
    compareCursors(cursor, figures.firstId) >= 0 &&
    !figures.cursorPresent &&
    compareCursors(figures.maxDeletedId, cursor) < 0
  ) {
    throw new StreamResetError(
      `cursor ${cursor} lies inside stream ${stream} but no entry has that ID and none was deleted: the store lost history`,
      { context: { ...context, reason: 'stream_reset' } },
    );
  }
}

/**
 * The same check for a replay `since` a time, from `start` (`<ms>-0`) inclusive:
 * expired when entries were removed and the first retained one is later than
 * `start` (what lay between may be gone), or an entry at or after `start` was deleted.
 */
export function assertReplayableSince(stream: string, start: Cursor, figures: StreamFigures): void {
  if (!figures.exists) return;
  const removed = figures.entriesAdded > figures.length;
  const trimmedAfterStart = removed && (figures.firstId === null || compareCursors(figures.firstId, start) > 0);
  // 0-0 as the max deleted ID means nothing was ever deleted.
  const deletedAfterStart = figures.maxDeletedId !== ZERO_CURSOR && compareCursors(figures.maxDeletedId, start) >= 0;
  if (trimmedAfterStart || deletedAfterStart) {
    throw new ReplayWindowExpiredError(
      `events of stream ${stream} at or after ${start} may no longer be retained (first retained: ${figures.firstId ?? 'none'})`,
      { context: { channel: stream, since: start, reason: 'expired', ...figuresContext(figures) } },
    );
  }
}

function figuresContext(figures: StreamFigures): Record<string, unknown> {
  return {
    first_id: figures.firstId,
    last_generated_id: figures.lastGeneratedId,
    max_deleted_id: figures.maxDeletedId,
  };
}
