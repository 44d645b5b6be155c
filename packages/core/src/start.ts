/**
 * @module
 * Where a read of a channel starts (and a page of history ends): one vocabulary,
 * checked here and nowhere else, for `replay`, `replayAll`, `subscribe`, `consume`,
 * the wire (sockets, event streams, pages), the browser client and the CLI. The
 * table of what each value means is in docs/protocol.md ("Where a read starts").
 *
 * - `after`: a cursor, `0-0` (everything retained) or `$` (only what comes after now);
 *   `last_event_id` is the same parameter on the wire (the Python library's name);
 * - `from`: `latest`, `earliest`, `snapshot` (a keyed channel's state, then what
 *   follows: subscriptions and replays only), or a cursor (the same as `after` it);
 * - `since`: the first event at or after a time: a `Date`, or ISO 8601 text with a
 *   zone (`Z` or `+02:00`);
 * - at most one of those three; none: the rail's `defaultStartPosition`;
 * - `until` (pages of history only): the last cursor or time to include.
 */

import { isoTimeToEpochMs } from './created-at.js';
import { isCursor, LIVE_CURSOR } from './cursor.js';
import { InvalidCursorError, InvalidRequestError, isReplayRailError } from './errors.js';
import type { Cursor, SnapshotStart, StartPosition } from './types.js';

/**
 * Where a read starts when it has no cursor of its own: an end of the channel, its
 * snapshot (a keyed channel: the latest event of each key, then every event after
 * the snapshot's cursor), or after a cursor.
 */
export type StartFrom = StartPosition | SnapshotStart | Cursor;

/**
 * Where a read starts, as an application gives it: at most one of `after`, `from`
 * and `since`. With none, a replay starts at the first retained event, a
 * subscription at `config.defaultStartPosition`, a new consumer group at the latest
 * event.
 */
export interface StartOptions {
  /** After this cursor: `0-0` is everything retained, `$` only what comes after now. */
  after?: Cursor;
  /**
   * `latest` (only what comes after now), `earliest` (everything retained),
   * `snapshot` (a keyed channel's latest event per key, then what follows), or a
   * cursor (after it).
   */
  from?: StartFrom;
  /** The first event at or after this time: a Date, or ISO 8601 text with a zone (`Z`, `+02:00`). */
  since?: Date | string;
}

/**
 * A start as given: by an application (a `Date` for a time) or by a client (text from
 * a query, a header, a frame or a command line), not yet checked.
 */
export interface StartInput {
  readonly after?: string;
  readonly from?: string;
  readonly since?: Date | string;
  readonly until?: Date | string;
}

/** A start, checked: at most one of `after`, `from`, `since`; `from` a cursor is `after` it. */
export interface ParsedStart {
  /** A cursor or `$` (resolved to the channel's last ID by the rail). */
  readonly after?: Cursor;
  readonly from?: StartPosition | SnapshotStart;
  readonly since?: Date;
  /** Pages only: the last cursor (inclusive), or the last time (inclusive, to the millisecond). */
  readonly until?: Cursor | Date;
}

/** Where a start may end: a subscription or a consumer runs on, a page may stop at `until`. */
export type StartUse = 'subscription' | 'page';

function parseTime(value: Date | string, name: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()) || value.getTime() < 0) {
      throw new InvalidCursorError(`${name} must be a valid Date at or after 1970-01-01, got ${String(value)}`, {
        context: { [name]: String(value) },
      });
    }
    return value;
  }
  const text = typeof value === 'string' ? value : String(value);
  try {
    return new Date(isoTimeToEpochMs(text));
  } catch (error) {
    if (!isReplayRailError(error)) throw error;
    throw new InvalidCursorError(
      `${name} must be an ISO 8601 time with a zone, such as 2026-06-29T12:00:00Z, got ${JSON.stringify(text.slice(0, 64))}`,
      { context: { [name]: text.slice(0, 64) } },
    );
  }
}

function parseAfter(value: unknown, name: string): Cursor {
  if (value === LIVE_CURSOR || isCursor(value)) return value as Cursor;
  const shown = typeof value === 'string' ? value.slice(0, 64) : String(value);
  throw new InvalidCursorError(
    `${name} must be a cursor '<milliseconds>-<sequence>', 0-0 or $, got ${JSON.stringify(shown)}`,
    { context: { [name]: shown } },
  );
}

/**
 * Checks a start. Throws `InvalidCursorError` for a bad cursor or time,
 * `InvalidRequestError` for a bad `from`, two starts at once, or `until` where a
 * subscription (which has no end) was asked for.
 *
 * @example
 * parseStart({ since: '2026-06-29T12:00:00Z' }, 'subscription'); // { since: Date }
 * parseStart({ from: '5-0' }, 'page'); // { after: '5-0' }
 * parseStart({ after: '5-0', from: 'latest' }, 'page'); // throws InvalidRequestError
 */
export function parseStart(start: StartInput, use: StartUse): ParsedStart {
  const given = (['after', 'from', 'since'] as const).filter((name) => start[name] !== undefined);
  if (given.length > 1) {
    throw new InvalidRequestError(`pass one of after (or last_event_id), from and since, got ${given.join(' and ')}`, {
      context: { given },
    });
  }
  const parsed: { after?: Cursor; from?: StartPosition | SnapshotStart; since?: Date; until?: Cursor | Date } = {};
  if (start.after !== undefined) parsed.after = parseAfter(start.after, 'after');
  // Typed as plain text: `isCursor` narrows its argument to never when it says no.
  const from: unknown = start.from;
  if (from === 'latest' || from === 'earliest' || from === 'snapshot') parsed.from = from;
  else if (from === LIVE_CURSOR || isCursor(from)) parsed.after = from as Cursor;
  else if (from !== undefined) {
    const shown = typeof from === 'string' ? from.slice(0, 64) : String(from);
    throw new InvalidRequestError(
      `from must be 'latest', 'earliest', 'snapshot' or a cursor, got ${JSON.stringify(shown)}`,
      { context: { from: shown } },
    );
  }
  if (start.since !== undefined) parsed.since = parseTime(start.since, 'since');
  if (start.until !== undefined) {
    if (use === 'subscription') {
      throw new InvalidRequestError('until bounds a page of history; a subscription has no end (omit until)');
    }
    parsed.until = isCursor(start.until) ? start.until : parseTime(start.until, 'until');
  }
  return parsed;
}
