/**
 * @module
 * The protocol's operations on a stream (PROTOCOL.md section 5): `PUT` creates,
 * `POST` appends (and closes), `DELETE` deletes, `HEAD` describes, `GET` reads
 * (catch-up and long-poll here; SSE in sse-route.ts). Each request is checked
 * (headers, then body) before the store is asked; the store makes every check of an
 * append atomically and answers with a result kind, which becomes a status and
 * headers here.
 */

import { InvalidRequestError } from '@replayrail/core/errors';
import type {
  DurableAppendResult,
  DurableStreamInfo,
  DurableStreamRef,
  ProducerClaim,
  StoredDurableMessage,
} from '@replayrail/core/store';
import type { Context } from 'hono';
import { approximateSize, concatBytes, jsonArrayOf, messagesOf, readBody } from './body.js';
import { goneSignalOf, headerReader, type RouteContext, refOf } from './context.js';
import { createdResponse } from './create-response.js';
import { parseForkHeaders } from './fork-request.js';
import { forkRoute } from './fork-route.js';
import { isJsonType, normalizeContentType, parseAppendHeaders, parseCreateHeaders } from './headers.js';
import { encodeOffset, parseOffsetParam, type RequestedOffset } from './offsets.js';
import {
  cacheControlOf,
  etagOf,
  H,
  matchesIfNoneMatch,
  metadataHeaders,
  notFound,
  problem,
  respond,
} from './responses.js';
import { responseCursor } from './stream-cursor.js';

const ZERO = '0-0';

/** `PUT`: 201 created, 200 when it exists alike, 409 when it exists otherwise; a fork with `Stream-Forked-From`. */
export async function createRoute(c: Context, context: RouteContext, path: string): Promise<Response> {
  const { options, store } = context;
  const header = headerReader(c);
  const headers = parseCreateHeaders(header);
  const fork = parseForkHeaders(header, options.streamsPath);
  if (fork !== null) return forkRoute(c, context, path, headers, fork);
  const body = await readBody(c, options.maxBodyBytes);
  const messages = messagesOf(body, normalizeContentType(headers.contentType), true);
  const result = await store.create(refOf(context, path), {
    retention: options.retention,
    config: { contentType: headers.contentType, ttlSeconds: headers.ttlSeconds, expiresAt: headers.expiresAt },
    closed: headers.closed,
    messages,
  });
  if (result.kind === 'conflict') {
    return problem(
      options,
      409,
      'conflict',
      'the stream exists with another content type, expiry or closure, or is a fork',
    );
  }
  if (result.kind === 'deleted') {
    return problem(
      options,
      409,
      'stream_deleted',
      'the stream was deleted while it had forks: its path is taken until they are deleted',
    );
  }
  return createdResponse(c, options, result);
}

/** `POST`: append, close, or both; the store's result kind becomes the status. */
export async function appendRoute(c: Context, context: RouteContext, path: string): Promise<Response> {
  const { options, store, tails } = context;
  const header = headerReader(c);
  const headers = parseAppendHeaders(header);
  const body = await readBody(c, options.maxBodyBytes);
  const closeOnly = body.byteLength === 0;
  if (closeOnly && !headers.close) {
    throw new InvalidRequestError('an append needs a body (only a close, Stream-Closed: true, may have none)');
  }
  if (!closeOnly && headers.contentType === null) {
    throw new InvalidRequestError('an append with a body needs a Content-Type');
  }
  const messages = closeOnly ? [] : messagesOf(body, headers.contentType as string, false);
  const ref = refOf(context, path);
  const scope = context.telemetry.appending(path, header('traceparent'), header('tracestate'));
  let result: DurableAppendResult;
  try {
    result = await store.append(ref, {
      retention: options.retention,
      messages,
      contentType: closeOnly ? null : headers.contentType,
      close: headers.close,
      streamSeq: headers.streamSeq,
      producer: headers.producer,
    });
  } catch (error) {
    scope?.settled(error);
    throw error;
  }
  scope?.settled();
  // The readers waiting here are told of a close at once, whatever the store's read waits on.
  if (result.kind === 'appended' && result.info.closed) tails.poke(ref);
  return appendResponse(context, result, closeOnly, headers.producer);
}

function appendResponse(
  { options }: RouteContext,
  result: DurableAppendResult,
  closeOnly: boolean,
  producer: ProducerClaim | null,
): Response {
  if (result.kind === 'not-found') return notFound(options);
  const position = (info: DurableStreamInfo) => {
    const extra: Record<string, string> = { [H.nextOffset]: encodeOffset(info.tail) };
    if (info.closed) extra[H.closed] = 'true';
    return extra;
  };
  switch (result.kind) {
    case 'appended': {
      const extra = position(result.info);
      if (producer === null) return respond(options, 204, extra);
      // 200 for a producer's new data (204 is its duplicate); a close without data has none.
      const claim = { [H.producerEpoch]: String(producer.epoch), [H.producerSeq]: String(producer.seq) };
      return respond(options, closeOnly ? 204 : 200, { ...extra, ...claim });
    }
    case 'duplicate':
      return respond(options, 204, {
        ...position(result.info),
        [H.producerEpoch]: String(producer?.epoch ?? ''),
        [H.producerSeq]: String(result.lastSeq),
      });
    case 'closed':
      // Closing a closed stream again is idempotent; appending to it is not.
      if (closeOnly && producer === null) return respond(options, 204, position(result.info));
      return problem(options, 409, 'stream_closed', 'the stream is closed: nothing more can be appended', {
        ...position(result.info),
        [H.closed]: 'true',
      });
    case 'content-type-mismatch':
      return problem(
        options,
        409,
        'content_type_mismatch',
        `the stream's content type is ${JSON.stringify(result.info.contentType)}`,
      );
    case 'stream-seq-regression':
      return problem(
        options,
        409,
        'stream_seq_regression',
        `Stream-Seq must be greater than the last one, ${JSON.stringify(result.last)}`,
      );
    case 'stale-epoch':
      return problem(
        options,
        403,
        'stale_producer_epoch',
        `a newer epoch of this producer writes now: ${result.epoch}`,
        {
          [H.producerEpoch]: String(result.epoch),
        },
      );
    case 'epoch-seq':
      return problem(options, 400, 'invalid_producer_seq', 'a new producer epoch must start at Producer-Seq 0');
    case 'sequence-gap':
      return problem(
        options,
        409,
        'producer_sequence_gap',
        `Producer-Seq ${result.received} leaves a gap: expected ${result.expected}`,
        { [H.expectedSeq]: String(result.expected), [H.receivedSeq]: String(result.received) },
      );
  }
}

/** `DELETE`: 204, or 404. */
export async function deleteRoute(context: RouteContext, path: string): Promise<Response> {
  const ref = refOf(context, path);
  const existed = await context.store.delete(ref);
  if (!existed) return notFound(context.options);
  context.tails.poke(ref);
  return respond(context.options, 204);
}

/** `HEAD`: the stream's tail, closure, content type and expiry; never cached, never resets a TTL. */
export async function headRoute(context: RouteContext, path: string): Promise<Response> {
  const { options } = context;
  const info = await context.store.info(refOf(context, path));
  if (info === null) return respond(options, 404, { 'cache-control': 'no-store' });
  const tail = encodeOffset(info.tail);
  const extra: Record<string, string> = {
    ...metadataHeaders(info),
    [H.nextOffset]: tail,
    'cache-control': 'no-store',
    etag: etagOf(info, '-1', tail, info.closed),
  };
  if (info.closed) extra[H.closed] = 'true';
  return respond(options, 200, extra);
}

/** The `GET` query: where to read from, which mode, and the client's cursor. */
export interface ReadQuery {
  readonly offset: RequestedOffset;
  /** The offset as the client sent it (`-1` when absent): ETags name it. */
  readonly offsetParam: string;
  readonly live: 'long-poll' | 'sse' | null;
  readonly cursor: string | undefined;
}

/** Checks the `GET` query: a 400 for a malformed offset, or a live mode without one. */
export function parseReadQuery(url: string): ReadQuery {
  const params = new URL(url).searchParams;
  const offsets = params.getAll('offset');
  const offset = parseOffsetParam(offsets);
  const liveParam = params.get('live');
  let live: ReadQuery['live'] = null;
  if (liveParam === 'long-poll' || liveParam === 'sse') live = liveParam;
  else if (liveParam !== null) {
    throw new InvalidRequestError(`live must be long-poll or sse, got ${JSON.stringify(liveParam.slice(0, 64))}`);
  }
  if (live !== null && offsets.length === 0) throw new InvalidRequestError(`live=${live} needs an offset`);
  const cursor = params.get('cursor') ?? undefined;
  return { offset, offsetParam: offsets[0] ?? '-1', live, cursor };
}

/** Messages up to `maxBytes` (at least one): a catch-up response's chunk. */
export function chunkOf(messages: readonly StoredDurableMessage[], maxBytes: number): StoredDurableMessage[] {
  let size = 0;
  let count = 0;
  for (const message of messages) {
    size += approximateSize(message);
    if (count > 0 && size > maxBytes) break;
    count++;
  }
  return messages.slice(0, count);
}

/** The body of messages: a JSON array in JSON mode, else their bytes one after another. */
export function bodyOf(info: DurableStreamInfo, messages: readonly StoredDurableMessage[]): BodyInit {
  if (isJsonType(normalizeContentType(info.contentType))) return jsonArrayOf(messages);
  return messages.length === 0 ? '' : (concatBytes(messages) as Uint8Array<ArrayBuffer>);
}

/**
 * `GET` without `live=sse`: a catch-up read, or a long-poll that waits at the tail
 * (section 5.7) through the stream's shared read (stream-tails.ts).
 */
export async function readRoute(c: Context, context: RouteContext, path: string, query: ReadQuery): Promise<Response> {
  const { options, tails } = context;
  const ref = refOf(context, path);
  const longPoll = query.live === 'long-poll';

  const deadline = Date.now() + options.longPollTimeoutMs;
  let after = query.offset.kind === 'after' ? query.offset.id : ZERO;
  // `now`: the tail, as HEAD tells it. With long-poll, the wait starts there at once,
  // without a first empty answer (section 8).
  let atTail: DurableStreamInfo | undefined;
  // Made on the first wait, kept for the next ones (a `behind` reads and waits again).
  let gone: AbortSignal | undefined;
  if (query.offset.kind === 'now') {
    const info = await tailInfo(context, ref);
    if (info === null) return notFound(options);
    if (!longPoll || info.closed) return tailResponse(context, info, longPoll, query);
    atTail = info;
    after = info.tail;
  }
  for (;;) {
    let messages: readonly StoredDurableMessage[] = [];
    let info: DurableStreamInfo;
    if (atTail !== undefined) {
      info = atTail;
      atTail = undefined;
    } else {
      const page = await catchUpRead(context, ref, after);
      if (page === null) return notFound(options);
      ({ messages, info } = page);
    }
    if (messages.length > 0 || !longPoll) return dataResponse(c, context, path, info, after, messages, query);
    if (info.closed) return tailResponse(context, info, true, query, after);
    const remaining = deadline - Date.now();
    gone ??= goneSignalOf(c);
    const wake =
      remaining <= 0 ? ({ kind: 'timeout' } as const) : await tails.wait(ref, info.id, after, remaining, gone);
    switch (wake.kind) {
      case 'messages':
        return dataResponse(c, context, path, wake.info, after, wake.messages, query);
      case 'closed':
        return tailResponse(context, wake.info, true, query, after);
      case 'behind':
        continue; // read what the shared read is past, then wait again
      case 'gone':
        return notFound(options);
      case 'error':
        throw wake.error;
      case 'timeout':
      case 'aborted':
        return respond(options, 204, {
          [H.nextOffset]: encodeOffset(after),
          [H.upToDate]: 'true',
          [H.cursor]: responseCursor(query.cursor, options.cursorClock),
          'cache-control': 'no-store',
        });
    }
  }
}

/**
 * What one catch-up response sends after `after`: store pages of `readLimit` read on
 * while they come full and hold less than `maxChunkBytes`, so a response carries a
 * chunk's worth whatever the page size (ten thousand small messages in one or two
 * responses, not ten). The stream as of the last page; null when it does not exist.
 */
export async function catchUpRead(
  { store, options }: RouteContext,
  ref: DurableStreamRef,
  after: string,
): Promise<{ messages: readonly StoredDurableMessage[]; info: DurableStreamInfo } | null> {
  const first = await store.read(ref, { after, limit: options.readLimit, blockMs: 0 });
  if (first === null || first.messages.length < options.readLimit) return first;
  const messages = [...first.messages];
  let { info } = first;
  let bytes = sizeOf(first.messages);
  let full = true;
  while (full && bytes < options.maxChunkBytes) {
    const last = messages[messages.length - 1] as StoredDurableMessage;
    // A later page that fails (trimmed past, deleted, another incarnation, the store
    // gone): what was read is answered as of then, and the client's next request from
    // its end is told.
    const page = await store.read(ref, { after: last.id, limit: options.readLimit, blockMs: 0 }).catch(() => null);
    if (page === null || page.info.id !== info.id) break;
    info = page.info;
    for (const message of page.messages) messages.push(message);
    bytes += sizeOf(page.messages);
    full = page.messages.length === options.readLimit;
  }
  return { messages, info };
}

function sizeOf(messages: readonly StoredDurableMessage[]): number {
  let size = 0;
  for (const message of messages) size += approximateSize(message);
  return size;
}

/**
 * The stream at its tail, read as a `GET` reads (so a sliding TTL starts over, which
 * `info` alone, as `HEAD` uses it, does not do), or null when it does not exist.
 */
export async function tailInfo(context: RouteContext, ref: DurableStreamRef): Promise<DurableStreamInfo | null> {
  const info = await context.store.info(ref);
  if (info === null) return null;
  const page = await context.store.read(ref, { after: info.tail, limit: 1, blockMs: 0 });
  return page === null ? null : page.info;
}

/**
 * An answer at the tail with nothing in it: `offset=now` (200, empty, never cached),
 * or a long-poll at the tail of a closed stream (204 at once).
 */
function tailResponse(
  { options }: RouteContext,
  info: DurableStreamInfo,
  longPoll: boolean,
  query: ReadQuery,
  at: string = info.tail,
): Response {
  const extra: Record<string, string> = {
    [H.nextOffset]: encodeOffset(at),
    [H.upToDate]: 'true',
    'cache-control': 'no-store',
  };
  if (info.closed) extra[H.closed] = 'true';
  else extra[H.cursor] = responseCursor(query.cursor, options.cursorClock);
  if (longPoll) return respond(options, 204, extra);
  extra['content-type'] = info.contentType;
  return respond(options, 200, extra, isJsonType(normalizeContentType(info.contentType)) ? '[]' : '');
}

/** A 200 with messages after `after` (as many as a chunk holds), or none at the tail; 304 when unchanged. */
function dataResponse(
  c: Context,
  { options, telemetry }: RouteContext,
  path: string,
  info: DurableStreamInfo,
  after: string,
  all: readonly StoredDurableMessage[],
  query: ReadQuery,
): Response {
  const messages = chunkOf(all, options.maxChunkBytes);
  const last = messages[messages.length - 1];
  const end = last === undefined ? after : last.id;
  // Everything there is, as of this read: the chunk ends at the stream's tail (or past it).
  const upToDate = last === undefined ? true : last.id === info.tail;
  const closedHere = info.closed && upToDate;
  const nextOffset = encodeOffset(end);
  const etag = etagOf(info, query.offsetParam, nextOffset, closedHere);
  const extra: Record<string, string> = {
    'content-type': info.contentType,
    [H.nextOffset]: nextOffset,
    etag,
    // Data is cacheable (a chunk never changes); an empty answer at the tail is not, or
    // a cache would hide what comes next, and the close when it comes.
    'cache-control': last === undefined ? 'no-store' : cacheControlOf(options, info),
  };
  if (upToDate) extra[H.upToDate] = 'true';
  if (closedHere) extra[H.closed] = 'true';
  else if (query.live === 'long-poll') extra[H.cursor] = responseCursor(query.cursor, options.cursorClock);
  if (matchesIfNoneMatch(headerReader(c)('if-none-match'), etag)) {
    return respond(options, 304, { etag, 'cache-control': extra['cache-control'] as string });
  }
  telemetry.sent(path, messages.length, query.live === 'long-poll');
  return respond(options, 200, extra, bodyOf(info, messages));
}
