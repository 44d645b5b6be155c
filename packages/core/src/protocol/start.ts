/**
 * @module
 * Where a subscription starts (and a page ends), parsed once for every transport:
 * both WebSocket endpoints, Server-Sent Events, HTTP pages. One set of names, one
 * strict time format, one rule for conflicts, so the same request means the same
 * thing, or fails the same way (400 / 4400), wherever it is sent.
 *
 * - `after` (alias `last_event_id`, the Python library's name): a cursor, `0-0`
 *   (everything retained) or `$` (only what comes after now);
 * - `from`: `latest` or `earliest`;
 * - `since`: an ISO 8601 time with a zone (`Z` or an offset);
 * - at most one of those three; none: the server's `defaultStartPosition`;
 * - `until` (pages only): the last cursor or time to include.
 */

import { isoTimeToEpochMs } from '../created-at.js';
import { isCursor, LIVE_CURSOR } from '../cursor.js';
import { InvalidCursorError, InvalidRequestError, isReplayRailError } from '../errors.js';
import type { Cursor, StartPosition } from '../types.js';

/** A start as a client sends it: text from a query, a header or a frame, not yet checked. */
export interface ClientStart {
  readonly after?: string;
  readonly from?: string;
  readonly since?: string;
  readonly until?: string;
}

/** A start, checked: at most one of `after`, `from`, `since`. */
export interface ParsedStart {
  /** A cursor or `$` (resolved to the channel's last ID by the rail). */
  readonly after?: Cursor;
  readonly from?: StartPosition;
  readonly since?: Date;
  /** Pages only: the last cursor (inclusive), or the last time (inclusive, to the millisecond). */
  readonly until?: Cursor | Date;
}

/** Where a start may end: subscriptions run on, pages may stop at `until`. */
export type StartUse = 'subscription' | 'page';

function parseTime(value: string, name: string): Date {
  try {
    return new Date(isoTimeToEpochMs(value));
  } catch (error) {
    if (!isReplayRailError(error)) throw error;
    throw new InvalidCursorError(
      `${name} must be an ISO 8601 time with a zone, such as 2026-06-29T12:00:00Z, got ${JSON.stringify(value.slice(0, 64))}`,
      { context: { [name]: value.slice(0, 64) } },
    );
  }
}

function parseAfter(text: string, name: string): Cursor {
  // A copy typed as plain text: `isCursor` narrows its argument to never when it says no.
  const value: string = text;
  if (value === LIVE_CURSOR || isCursor(text)) return value;
  const shown = value.slice(0, 64);
  throw new InvalidCursorError(
    `${name} must be a cursor '<milliseconds>-<sequence>', 0-0 or $, got ${JSON.stringify(shown)}`,
    {
      context: { [name]: shown },
    },
  );
}

/**
 * Checks a client's start. Throws `InvalidCursorError` for a bad cursor or time,
 * `InvalidRequestError` for a bad `from`, two starts at once, or `until` where a
 * subscription (which has no end) was asked for.
 *
 * @example
 * parseClientStart({ since: '2026-06-29T12:00:00Z' }, 'subscription'); // { since: Date }
 * parseClientStart({ after: '5-0', from: 'latest' }, 'page'); // throws InvalidRequestError
 */
export function parseClientStart(start: ClientStart, use: StartUse): ParsedStart {
  const given = (['after', 'from', 'since'] as const).filter((name) => start[name] !== undefined);
  if (given.length > 1) {
    throw new InvalidRequestError(`pass one of after (or last_event_id), from and since, got ${given.join(' and ')}`, {
      context: { given },
    });
  }
  const parsed: { after?: Cursor; from?: StartPosition; since?: Date; until?: Cursor | Date } = {};
  if (start.after !== undefined) parsed.after = parseAfter(start.after, 'after');
  if (start.from !== undefined) {
    if (start.from !== 'latest' && start.from !== 'earliest') {
      throw new InvalidRequestError(
        `from must be 'latest' or 'earliest', got ${JSON.stringify(start.from.slice(0, 64))}`,
      );
    }
    parsed.from = start.from;
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

// The one value of a query parameter; given twice, it is ambiguous.
function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new InvalidRequestError(`${name} is given ${values.length} times; give it once`);
  return values[0];
}

/**
 * A start from a URL's query: `after` or `last_event_id` (the same parameter under
 * two names: both at once is an error), `from`, `since`, and on pages `until`.
 * `lastEventId` is the `Last-Event-ID` header of a reconnecting `EventSource`: it
 * replaces the query's start, because the browser sends the first URL again.
 *
 * @example
 * startFromQuery(new URLSearchParams('last_event_id=5-0'), 'subscription'); // { after: '5-0' }
 */
export function startFromQuery(params: URLSearchParams, use: StartUse, lastEventId?: string): ParsedStart {
  const after = single(params, 'after');
  const alias = single(params, 'last_event_id');
  if (after !== undefined && alias !== undefined) {
    throw new InvalidRequestError('pass after or last_event_id (the same parameter), not both');
  }
  const until = single(params, 'until');
  if (lastEventId !== undefined) {
    return parseClientStart({ after: lastEventId, ...(until !== undefined && { until }) }, use);
  }
  const from = single(params, 'from');
  const since = single(params, 'since');
  const start: { after?: string; from?: string; since?: string; until?: string } = {};
  if (after !== undefined || alias !== undefined) start.after = (after ?? alias) as string;
  if (from !== undefined) start.from = from;
  if (since !== undefined) start.since = since;
  if (until !== undefined) start.until = until;
  return parseClientStart(start, use);
}
