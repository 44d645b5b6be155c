/**
 * @module
 * Server-Sent Events: `GET /events/<channel>` with `Accept: text/event-stream`.
 * The same delivery contract as the sockets (docs/architecture.md, "The delivery contract"): each event once, in
 * order, `id:` set to its cursor, so a browser's `EventSource` resumes by itself
 * with `Last-Event-ID` after a drop. An expired cursor gets an `expired` event and
 * the stream ends (never a silent gap); comments keep idle streams open. Streams
 * count toward `maxConnections` with the sockets, from before `authorize` is asked.
 *
 * From a snapshot (`from=snapshot`, a keyed channel): an `event: snapshot` message
 * first (the client resets its view: EventSource reconnects on its own, and only
 * this tells it that a fresh snapshot follows), then the snapshot's events without
 * `id:` (their IDs are not cursors: a reconnect mid-snapshot, without a last event
 * ID, starts a fresh one), then an `id:` line with no data that makes the snapshot's
 * cursor the EventSource's last event ID without dispatching anything, then the
 * events after that cursor as usual (docs/protocol.md, "HTTP and Server-Sent Events").
 */

import {
  isReplayRailError,
  type ReplayRailError,
  type Snapshot,
  type SubscribeOptions,
  type Subscription,
} from '@replayrail/core';
import { clientGone, startFromQuery, toReplayRailError, toWireJson } from '@replayrail/core/protocol';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { authorizedRequest, type RouteDeps } from './http-routes.js';

/** True when the client asks for an event stream rather than a JSON page. */
export function wantsEventStream(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('text/event-stream');
}

/**
 * Where the stream starts: the query, as on every transport, unless the request
 * carries `Last-Event-ID` (a reconnecting EventSource, which sends its first URL again).
 */
function startOf(c: Context, query: URLSearchParams): SubscribeOptions {
  return startFromQuery(query, 'subscription', c.req.header('last-event-id'));
}

/** One `data:` message; JSON text holds no raw line breaks, so it is one line. */
function message(event: string | null, data: string, id?: string): string {
  return `${event === null ? '' : `event: ${event}\n`}${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`;
}

export async function sseRoute(c: Context, deps: RouteDeps): Promise<Response> {
  const { rail, resolved, admission, streams } = deps;
  const gone = clientGone(c.env, () => c.req.raw.signal);
  const release = admission.hold();
  let subscription: Subscription | undefined;
  let snapshot: Snapshot | undefined;
  let closed = false;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let finished = false;
  // Where an undecodable entry is reported, once the stream is open: the iterator
  // tells it in its place, after the events before it.
  let reportSkipped: ((error: ReplayRailError) => void) | undefined;
  const onError = (error: ReplayRailError): void => reportSkipped?.(error);
  // Everything the stream holds, let go once: when it ends, or when the client goes,
  // whichever comes first (even while authorize or the store is still working; and
  // a write to a stream nobody reads never resolves, so its end may never come).
  const finish = (): void => {
    finished = true;
    gone.removeEventListener('abort', finish);
    clearInterval(keepAlive);
    if (subscription !== undefined) {
      streams.delete(subscription);
      subscription.close();
    }
    release();
  };
  gone.addEventListener('abort', finish);
  try {
    const request = await authorizedRequest(c, deps, 'subscribe');
    if (request === undefined) {
      finish();
      return c.notFound();
    }
    const { channel, query } = request;
    // Subscribed before the response starts: a bad cursor is a 400, not a broken
    // stream, and every event published after the response begins is delivered.
    const start = startOf(c, query);
    if (start.from === 'snapshot') {
      // The snapshot's cursor is fixed by its first page, read now; the subscription
      // takes everything after it while the snapshot is written (paced by maxBuffered,
      // as any stream). The hub would hand the snapshot over itself, but an iterator
      // cannot tell where the snapshot ends, and the `id:` line must come right there.
      snapshot = await rail.snapshot(channel);
      subscription = await rail.subscribe(channel, {
        after: snapshot.cursor,
        onError,
        // Closed (`close()` of the routes): stop writing the snapshot too. Ended by an
        // error, it is reported once the snapshot and the events before it are out.
        onEnd: (end) => {
          if (end === null) closed = true;
        },
      });
    } else subscription = await rail.subscribe(channel, { ...start, onError });
    if (finished || gone.aborted) {
      finish();
      return c.body(null, 204); // nobody reads it: the client is gone
    }
    streams.add(subscription);
  } catch (error) {
    finish();
    throw error;
  }
  const open = subscription;
  const opening = snapshot;
  return streamSSE(c, async (stream) => {
    stream.onAbort(finish);
    keepAlive = setInterval(() => void stream.write(': keep-alive\n\n'), resolved.sseKeepAliveMs);
    // An entry no reader could decode: named, with its ID as the last event ID, so
    // a reconnect resumes after it; the stream goes on.
    reportSkipped = (error) => {
      const id = typeof error.context.id === 'string' ? error.context.id : undefined;
      void stream.write(message('skipped', JSON.stringify({ code: error.code, message: error.message, id }), id));
    };
    try {
      // `retry:` tells EventSource how soon to reconnect after a drop.
      await stream.write(`retry: 1000\n: subscribed\n\n`);
      if (opening !== undefined) {
        await stream.write(message('snapshot', JSON.stringify({ cursor: opening.cursor })));
        // Read a page at a time as it is written: memory stays bounded by the page size.
        for await (const event of opening) {
          if (finished || closed) return;
          await stream.write(message(null, toWireJson(event)));
        }
        // Sets EventSource's last event ID (a block without data dispatches nothing):
        // a reconnect from here resumes after the snapshot instead of taking it again.
        await stream.write(`id: ${opening.cursor}\n\n`);
      }
      // Iterated, so a stream that cannot keep up is ended (SlowConsumerError) rather
      // than buffered without bound; its EventSource resumes from the last id.
      // Each frame is the channel's, serialized once for all its subscribers (docs/architecture.md, "Live fanout and wake-ups").
      for await (const { event, frame } of open.frames()) await stream.write(message(null, frame, event.id));
    } catch (error) {
      const failure = toReplayRailError(error);
      resolved.transport.report(failure);
      const kind = isReplayRailError(failure, 'replay_window_expired', 'stream_reset') ? 'expired' : 'error';
      await stream.write(message(kind, JSON.stringify({ code: failure.code, message: failure.message })));
    } finally {
      finish();
    }
  });
}
