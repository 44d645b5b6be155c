/**
 * @module
 * The rail's channels as read-only durable streams in JSON mode: `GET
 * <channelsPath>/<channel>` reads a channel as the protocol reads a stream, each
 * event's envelope (its wire JSON, as every ReplayRail transport sends it) one JSON
 * message, the offset its cursor encoded (offsets.ts). Catch-up reads a page with
 * `rail.replay`; long-poll and SSE follow with `rail.subscribe`, so every reader of a
 * channel shares the hub's one read of it per process. `PUT`, `POST` and `DELETE`
 * are 405: events are published with the rail (or the Hono adapter's routes), where
 * they are validated as events. A channel never closes; a cursor older than its
 * retained history is `410 Gone`.
 */

import type { ReplayRail, StoredEvent, Subscription } from '@replayrail/core';
import { assertChannel, toWireJson } from '@replayrail/core/protocol';
import type { Context } from 'hono';
import { goneSignalOf, headerReader, type RouteContext } from './context.js';
import { controlEvent, eventStream, sseEvent } from './event-stream.js';
import { encodeOffset } from './offsets.js';
import { baseHeaders, H, matchesIfNoneMatch, problem, respond } from './responses.js';
import { responseCursor } from './stream-cursor.js';
import type { ReadQuery } from './stream-routes.js';

const JSON_TYPE = 'application/json';
const ZERO = '0-0';
/** Events an event stream may have waiting to be written before it is ended (the client resumes from its offset). */
const MAX_QUEUED = 10_000;

/** `PUT`, `POST`, `DELETE` on a channel: 405, with what is allowed. */
export function readOnlyChannel({ options }: RouteContext): Response {
  return problem(
    options,
    405,
    'method_not_allowed',
    'channels are read-only here: publish events with the rail (or the Hono adapter)',
    { allow: 'GET, HEAD, OPTIONS' },
  );
}

/** `HEAD`: the channel's tail. A channel always exists (one without events has the start as its tail). */
export async function channelHeadRoute(context: RouteContext, channel: string): Promise<Response> {
  assertChannel(channel, context.rail.config.limits);
  const tail = encodeOffset(await context.rail.latestCursor(channel));
  return respond(context.options, 200, {
    'content-type': JSON_TYPE,
    [H.nextOffset]: tail,
    'cache-control': 'no-store',
    etag: `"${channel}:-1:${tail}"`.replace(/[^\x21\x23-\x7e]/g, '_'),
  });
}

/** `GET`: catch-up, long-poll or SSE on a channel. */
export async function channelReadRoute(
  c: Context,
  context: RouteContext,
  channel: string,
  query: ReadQuery,
): Promise<Response> {
  const { rail, options } = context;
  assertChannel(channel, rail.config.limits);
  const after = query.offset.kind === 'after' ? query.offset.id : query.offset.kind === 'start' ? ZERO : undefined;
  if (query.live === 'sse') return channelSse(c, context, channel, query, after ?? (await rail.latestCursor(channel)));
  if (after === undefined) {
    const tail = await rail.latestCursor(channel);
    if (query.live === null) {
      return respond(
        options,
        200,
        {
          'content-type': JSON_TYPE,
          [H.nextOffset]: encodeOffset(tail),
          [H.upToDate]: 'true',
          'cache-control': 'no-store',
        },
        '[]',
      );
    }
    return channelWait(c, context, channel, query, tail);
  }
  const page = await rail.replay(channel, { after, limit: options.readLimit });
  if (page.events.length === 0 && query.live === 'long-poll') return channelWait(c, context, channel, query, after);
  const end = page.events[page.events.length - 1]?.id ?? after;
  return channelPage(c, context, query, page.events, end, !page.hasMore);
}

function channelPage(
  c: Context,
  { options }: RouteContext,
  query: ReadQuery,
  events: readonly StoredEvent[],
  end: string,
  upToDate: boolean,
): Response {
  const nextOffset = encodeOffset(end);
  const etag = `"channel:${query.offsetParam}:${nextOffset}"`.replace(/[^\x21\x23-\x7e]/g, '_');
  const extra: Record<string, string> = {
    'content-type': JSON_TYPE,
    [H.nextOffset]: nextOffset,
    etag,
    'cache-control':
      events.length === 0 ? 'no-store' : `${options.cacheVisibility}, max-age=60, stale-while-revalidate=300`,
  };
  if (upToDate) extra[H.upToDate] = 'true';
  if (query.live !== null) extra[H.cursor] = responseCursor(query.cursor, options.cursorClock);
  if (matchesIfNoneMatch(headerReader(c)('if-none-match'), etag)) {
    return respond(options, 304, { etag, 'cache-control': extra['cache-control'] as string });
  }
  return respond(options, 200, extra, `[${events.map(toWireJson).join(',')}]`);
}

/** A long-poll at the channel's tail: the events that come within the timeout, or 204. */
async function channelWait(
  c: Context,
  context: RouteContext,
  channel: string,
  query: ReadQuery,
  after: string,
): Promise<Response> {
  const { rail, options } = context;
  const events: StoredEvent[] = [];
  let finished = false;
  let subscription: Subscription | undefined;
  let settle: ((how: 'events' | 'timeout' | 'ended') => void) | undefined;
  const outcome = new Promise<'events' | 'timeout' | 'ended'>((resolve) => {
    settle = resolve;
  });
  const done = (how: 'events' | 'timeout' | 'ended') => {
    finished = true;
    settle?.(how);
  };
  const timer = setTimeout(() => done('timeout'), options.longPollTimeoutMs);
  try {
    subscription = await rail.subscribe(channel, {
      after,
      signal: goneSignalOf(c),
      onEvent: (event) => {
        if (finished) return;
        events.push(event);
        // What the hub hands over together goes out together.
        if (events.length === 1) setTimeout(() => done('events'), 0);
      },
      onEnd: () => done('ended'),
    });
    if (!finished) await outcome;
  } finally {
    clearTimeout(timer);
    finished = true;
    subscription?.close();
  }
  if (events.length > 0) {
    return channelPage(c, context, query, events, (events[events.length - 1] as StoredEvent).id, true);
  }
  // Ended by an error (the cursor's history expired meanwhile): answered with its status.
  const end = await subscription.ended;
  if (end !== null) throw end;
  return respond(options, 204, {
    [H.nextOffset]: encodeOffset(after),
    [H.upToDate]: 'true',
    [H.cursor]: responseCursor(query.cursor, options.cursorClock),
    'cache-control': 'no-store',
  });
}

type Queued = { readonly kind: 'event'; readonly id: string; readonly frame: string } | { readonly kind: 'live' };

/** SSE on a channel: its events after `after`, then live ones, each batch a JSON array and a control event. */
async function channelSse(
  c: Context,
  context: RouteContext,
  channel: string,
  query: ReadQuery,
  after: string,
): Promise<Response> {
  const { rail, options } = context;
  const { body, writer } = eventStream(goneSignalOf(c));
  const queue: Queued[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  // Checked before the response starts: an expired cursor is a 410, not an event
  // stream that ends at once (the subscription would find it out only as it reads).
  await rail.replay(channel, { after, limit: 1 });
  const subscription = await subscribeFor(rail, channel, after, writer.signal, {
    onEvent: (event, frame) => {
      queue.push({ kind: 'event', id: event.id, frame });
      notify();
    },
    onLive: () => {
      queue.push({ kind: 'live' });
      notify();
    },
    onEnd: () => {
      ended = true;
      notify();
    },
  });
  context.openStreams.add(writer.end);
  void (async () => {
    const deadline = Date.now() + options.sseMaxDurationMs;
    const cursor = () => responseCursor(query.cursor, options.cursorClock);
    let position = after;
    let live = false;
    try {
      while (!writer.signal.aborted) {
        if (queue.length > MAX_QUEUED) return; // too slow a reader: it resumes from its offset
        if (queue.length === 0) {
          if (ended) return;
          const remaining = deadline - Date.now();
          if (remaining <= 0) return;
          const timedOut = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), Math.min(remaining, options.longPollTimeoutMs));
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
          });
          if (timedOut && Date.now() < deadline) {
            await writer.write(
              controlEvent({ streamNextOffset: encodeOffset(position), streamCursor: cursor(), upToDate: true }),
            );
          }
          continue;
        }
        const frames: string[] = [];
        while (queue.length > 0) {
          const item = queue.shift() as Queued;
          if (item.kind === 'live') live = true;
          else {
            frames.push(item.frame);
            position = item.id;
          }
        }
        if (frames.length > 0) await writer.write(sseEvent('data', `[${frames.join(',')}]`));
        const control = { streamNextOffset: encodeOffset(position), streamCursor: cursor() };
        await writer.write(controlEvent(live ? { ...control, upToDate: true } : control));
      }
    } finally {
      subscription.close();
      context.openStreams.delete(writer.end);
      writer.end();
    }
  })();
  return new Response(body, {
    status: 200,
    headers: baseHeaders(options, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }),
  });
}

function subscribeFor(
  rail: ReplayRail,
  channel: string,
  after: string,
  signal: AbortSignal,
  handlers: Required<Pick<Parameters<ReplayRail['subscribe']>[1] & object, 'onEvent' | 'onLive' | 'onEnd'>>,
): Promise<Subscription> {
  return rail.subscribe(channel, { after, signal, ...handlers });
}
