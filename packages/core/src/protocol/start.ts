/**
 * @module
 * The start of a read in a URL's query, for every transport: both WebSocket
 * endpoints, Server-Sent Events, HTTP pages. The vocabulary and its checks are
 * core's start.ts; this adds only what a query brings: `last_event_id` as the
 * Python library's name for `after`, a parameter given twice, the
 * `Last-Event-ID` header of a reconnecting `EventSource`, and where a page of a
 * snapshot goes on (`snapshot_cursor`, `after_key`).
 */

import { InvalidRequestError } from '../errors.js';
import { type ParsedStart, parseStart, type StartUse } from '../start.js';

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
    return parseStart({ after: lastEventId, ...(until !== undefined && { until }) }, use);
  }
  const from = single(params, 'from');
  const since = single(params, 'since');
  const start: { after?: string; from?: string; since?: string; until?: string } = {};
  if (after !== undefined || alias !== undefined) start.after = (after ?? alias) as string;
  if (from !== undefined) start.from = from;
  if (since !== undefined) start.since = since;
  if (until !== undefined) start.until = until;
  return parseStart(start, use);
}

/** Where the next page of a snapshot starts, as a page's query gives it. */
export interface SnapshotContinuationQuery {
  readonly snapshotCursor?: string;
  readonly afterKey?: string;
}

/**
 * `snapshot_cursor` and `after_key` from a page's query: what the page before
 * returned (`snapshot.cursor`, `snapshot.next_key`), to go on with `from=snapshot`.
 * Each at most once; whether they fit the rest of the request (both or neither,
 * only with `from=snapshot`, a real cursor) is the rail's check, as it is in code.
 *
 * @example
 * snapshotFromQuery(new URLSearchParams('snapshot_cursor=5-0&after_key=b')); // { snapshotCursor: '5-0', afterKey: 'b' }
 */
export function snapshotFromQuery(params: URLSearchParams): SnapshotContinuationQuery {
  const snapshotCursor = single(params, 'snapshot_cursor');
  const afterKey = single(params, 'after_key');
  return {
    ...(snapshotCursor !== undefined && { snapshotCursor }),
    ...(afterKey !== undefined && { afterKey }),
  };
}
