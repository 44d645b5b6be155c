/**
 * @module
 * Server-Sent Events: `GET /events/<channel>` with `Accept: text/event-stream`.
 * The same delivery contract as the sockets (DESIGN §4): each event once, in
 * order, `id:` set to its cursor, so a browser's `EventSource` resumes by itself
 * with `Last-Event-ID` after a drop. An expired cursor gets an `expired` event and
 * the stream ends (never a silent gap); comments keep idle streams open.
 */

import {
  clientStartFromQuery,
  formatCreatedAt,
  ReplayWindowExpiredError,
  type SubscribeOptions,
  type Subscription,
  TooManyConnectionsError,
  toReplayRailError,
} from '@replayrail/core';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { authorizedChannel, type RouteDeps } from './http-routes.js';

/** True when the client asks for an event stream rather than a JSON page. */
export function wantsEventStream(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('text/event-stream');
}

/** Where the stream starts: `Last-Event-ID` (a reconnecting EventSource) over the query. */
function startOf(c: Context): SubscribeOptions {
  const query = clientStartFromQuery(new URL(c.req.url).searchParams);
  const lastEventId = c.req.header('last-event-id');
  const after = lastEventId !== undefined && lastEventId !== '' ? lastEventId : query.after;
  if (after !== undefined) return { after };
  if (query.since !== undefined) return { since: new Date(formatCreatedAt(query.since)) };
  if (query.from !== undefined) return { from: query.from };
  return {};
}

/** One `data:` message; JSON text holds no raw line breaks, so it is one line. */
function message(event: string | null, data: string, id?: string): string {
  return `${event === null ? '' : `event: ${event}\n`}${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`;
}

export async function sseRoute(
  c: Context,
  deps: RouteDeps,
  open: Set<Subscription>,
  connections: () => number,
): Promise<Response> {
  const { rail, resolved } = deps;
  const channel = await authorizedChannel(c, deps, 'subscribe');
  if (connections() >= resolved.transport.maxConnections) throw new TooManyConnectionsError();
  // Subscribed before the response starts: a bad cursor is a 400, not a broken stream,
  // and every event published after the response begins is delivered.
  const subscription = await rail.subscribe(channel, startOf(c));
  open.add(subscription);
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => subscription.close());
    const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n'), resolved.sseKeepAliveMs);
    try {
      // `retry:` tells EventSource how soon to reconnect after a drop.
      await stream.write(`retry: 1000\n: subscribed\n\n`);
      // Iterated, so a stream that cannot keep up is ended (SlowConsumerError) rather
      // than buffered without bound; its EventSource resumes from the last id.
      // Each frame is the channel's, serialized once for all its subscribers (DESIGN §6).
      for await (const { event, frame } of subscription.frames()) await stream.write(message(null, frame, event.id));
    } catch (error) {
      const failure = toReplayRailError(error);
      const kind = failure instanceof ReplayWindowExpiredError ? 'expired' : 'error';
      await stream.write(message(kind, JSON.stringify({ code: failure.code, message: failure.message })));
    } finally {
      clearInterval(keepAlive);
      open.delete(subscription);
      subscription.close();
    }
  });
}
