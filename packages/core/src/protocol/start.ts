/**
 * @module
 * The start of a read in a URL's query, for every transport: both WebSocket
 * endpoints, Server-Sent Events, HTTP pages. The vocabulary and its checks are
 * core's start.ts; this adds only what a query brings: `last_event_id` as the
 * Python library's name for `after`, a parameter given twice, and the
 * `Last-Event-ID` header of a reconnecting `EventSource`.
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
