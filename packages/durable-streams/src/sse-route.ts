/**
 * @module
 * `GET ?offset=&live=sse` (PROTOCOL.md section 5.8): what there is after the offset
 * in batches, each one `data` event (a JSON array in JSON mode, the bytes as text for
 * a text stream, base64 with `Stream-SSE-Data-Encoding: base64` otherwise) followed by
 * a `control` event with the next offset; then live data as it comes, through the
 * stream's shared read (stream-tails.ts). A close ends the response after a control
 * event with `streamClosed: true`; so does `sseMaxDurationMs` (about a minute,
 * without `streamClosed`: the client reconnects from its offset, and CDNs can
 * collapse the reconnects).
 */

import { compareCursors } from '@replayrail/core/cursor';
import type { DurableStreamInfo, StoredDurableMessage } from '@replayrail/core/store';
import type { Context } from 'hono';
import { toBase64 } from './body.js';
import { goneSignalOf, type RouteContext, refOf } from './context.js';
import { type ControlEvent, controlEvent, type EventStreamWriter, eventStream, sseEvent } from './event-stream.js';
import { isJsonType, isTextType, normalizeContentType } from './headers.js';
import { encodeOffset } from './offsets.js';
import { baseHeaders, H, notFound } from './responses.js';
import { responseCursor } from './stream-cursor.js';
import { bodyOf, type ReadQuery, tailInfo } from './stream-routes.js';

const ZERO = '0-0';

export async function sseRoute(c: Context, context: RouteContext, path: string, query: ReadQuery): Promise<Response> {
  const { options, store } = context;
  const ref = refOf(context, path);
  // The first read happens before the response starts: a missing stream is a 404,
  // an offset before retained history a 410, not a broken event stream.
  let after: string;
  let first: { messages: readonly StoredDurableMessage[]; info: DurableStreamInfo };
  if (query.offset.kind === 'now') {
    const info = await tailInfo(context, ref);
    if (info === null) return notFound(options);
    after = info.tail;
    first = { messages: [], info };
  } else {
    after = query.offset.kind === 'after' ? query.offset.id : ZERO;
    const page = await store.read(ref, { after, limit: options.readLimit, blockMs: 0 });
    if (page === null) return notFound(options);
    first = page;
  }
  const type = normalizeContentType(first.info.contentType);
  const base64 = !isTextType(type);
  const headers = baseHeaders(options, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
  });
  if (base64) headers[H.sseEncoding] = 'base64';
  const { body, writer } = eventStream(goneSignalOf(c));
  context.openStreams.add(writer.end);
  context.telemetry.sseOpened();
  void follow(context, ref, query, writer, after, first, base64, isJsonType(type)).finally(() => {
    context.openStreams.delete(writer.end);
    context.telemetry.sseClosed();
    writer.end();
  });
  return new Response(body, { status: 200, headers });
}

/** Writes the stream from `after` until it closes, the client leaves, or the connection's time is up. */
async function follow(
  context: RouteContext,
  ref: ReturnType<typeof refOf>,
  query: ReadQuery,
  writer: EventStreamWriter,
  start: string,
  first: { messages: readonly StoredDurableMessage[]; info: DurableStreamInfo },
  base64: boolean,
  json: boolean,
): Promise<void> {
  const { options, store, tails } = context;
  const deadline = Date.now() + options.sseMaxDurationMs;
  const cursor = () => responseCursor(query.cursor, options.cursorClock);
  let after = start;
  let page: { messages: readonly StoredDurableMessage[]; info: DurableStreamInfo } | null = first;
  let sentControl = false;
  // Whether the page came from waiting at the tail (delivered) or from catching up (replayed).
  let live = false;
  try {
    while (!writer.signal.aborted) {
      if (page === null) {
        page = await store.read(ref, { after, limit: options.readLimit, blockMs: 0 });
        if (page === null) return; // deleted or expired: the client's next request gets the 404
      }
      const { messages, info } = page;
      page = null;
      const last = messages[messages.length - 1];
      const end = last === undefined ? after : last.id;
      // At or past the tail (an offset past it reads nothing, and waits there).
      const upToDate = compareCursors(end, info.tail) >= 0;
      const closing = info.closed && upToDate;
      let control: string | undefined;
      if (closing) {
        control = controlEvent({ streamNextOffset: encodeOffset(end), streamClosed: true, upToDate: true });
      } else if (last !== undefined || !sentControl) {
        const next: ControlEvent = { streamNextOffset: encodeOffset(end), streamCursor: cursor() };
        control = controlEvent(upToDate ? { ...next, upToDate: true } : next);
      }
      if (last !== undefined) {
        // Data and its control event in one write; the same bytes for every reader of one shared read.
        await writer.write(
          framedOnce(messages, control as string, () => sseEvent('data', dataOf(info, messages, base64, json))),
        );
        context.telemetry.sent(ref.path, messages.length, live);
      } else if (control !== undefined) {
        await writer.write(control);
      }
      after = end;
      live = false;
      if (control !== undefined) sentControl = true;
      if (closing) return;
      if (!upToDate) continue; // more to catch up on: read on at once
      // At the tail: wait on the stream's shared read, a long-poll's time at most, then
      // say so (a keep-alive) and wait again, until the connection's time is up.
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return;
        const wake = await tails.wait(
          ref,
          info.id,
          after,
          Math.min(remaining, options.longPollTimeoutMs),
          writer.signal,
        );
        if (wake.kind === 'messages') {
          page = { messages: wake.messages, info: wake.info };
          live = true;
          break;
        }
        if (wake.kind === 'closed') {
          page = { messages: [], info: wake.info };
          break;
        }
        if (wake.kind === 'behind') break; // read the gap, then go on
        if (wake.kind === 'timeout') {
          if (Date.now() >= deadline) return;
          await writer.write(
            controlEvent({ streamNextOffset: encodeOffset(after), streamCursor: cursor(), upToDate: true }),
          );
          continue;
        }
        return; // gone, aborted, or the shared read failed: the client reconnects and is told
      }
    }
  } catch {
    // A read failed mid-stream (the store went away, or history was trimmed past the
    // client): the response ends, and the client's reconnect gets the status.
  }
}

const encoder = new TextEncoder();
/** Each batch's frame (its data event and the control event after it), as written last. */
const frames = new WeakMap<readonly StoredDurableMessage[], { readonly control: string; readonly bytes: Uint8Array }>();

/**
 * The bytes of a batch's data event followed by `control`: encoded once for every
 * event stream that writes the same batch (the shared live read hands its waiters one
 * array) with the same control event (the same offset and cursor: all but a reader
 * that sent a cursor of its own).
 */
function framedOnce(messages: readonly StoredDurableMessage[], control: string, data: () => string): Uint8Array {
  const framed = frames.get(messages);
  if (framed !== undefined && framed.control === control) return framed.bytes;
  const bytes = encoder.encode(data() + control);
  frames.set(messages, { control, bytes });
  return bytes;
}

function dataOf(
  info: DurableStreamInfo,
  messages: readonly StoredDurableMessage[],
  base64: boolean,
  json: boolean,
): string {
  const body = bodyOf(info, messages);
  if (json) return body as string;
  if (typeof body === 'string') return base64 ? toBase64(new TextEncoder().encode(body)) : body;
  const bytes = body as Uint8Array;
  return base64 ? toBase64(bytes) : new TextDecoder().decode(bytes);
}
