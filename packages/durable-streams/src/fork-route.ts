/**
 * @module
 * `PUT` with `Stream-Forked-From` (PROTOCOL.md section 4.2): a fork, made by the store
 * (`DurableStreamStore.fork`, docs/durable-streams.md, "Forks"), whose answer becomes
 * the protocol's status here. Once made a fork is a stream like any other: every other
 * route serves it without knowing, and no response names its source (forks are
 * transparent).
 */

import { isReplayRailError } from '@replayrail/core';
import type { DurableForkResult } from '@replayrail/core/store';
import type { Context } from 'hono';
import { messagesOf, readBody } from './body.js';
import { type RouteContext, refOf } from './context.js';
import { createdResponse } from './create-response.js';
import type { ForkHeaders } from './fork-request.js';
import { type CreateHeaders, normalizeContentType } from './headers.js';
import { encodeOffset } from './offsets.js';
import { notFound, problem } from './responses.js';

/** Creates `path` as a fork: 201, 200 when that fork exists, or the source's refusal. */
export async function forkRoute(
  c: Context,
  context: RouteContext,
  path: string,
  create: CreateHeaders,
  fork: ForkHeaders,
): Promise<Response> {
  const { options, store } = context;
  const body = await readBody(c, options.maxBodyBytes);
  let contentType = fork.contentType;
  if (contentType === null && body.byteLength > 0) {
    // A first body without Content-Type is in the source's content type, which only the source knows.
    const source = await sourceContentType(context, fork.source);
    if (typeof source !== 'string') return forkResponse(c, context, source);
    contentType = source;
  }
  const result = await store.fork(refOf(context, path), {
    retention: options.retention,
    source: fork.source,
    offset: fork.offset,
    subOffset: fork.subOffset,
    contentType,
    ttlSeconds: create.ttlSeconds,
    expiresAt: create.expiresAt,
    closed: create.closed,
    messages: contentType === null ? [] : messagesOf(body, normalizeContentType(contentType), true),
    maxMessages: options.maxForkMessages,
  });
  return forkResponse(c, context, result);
}

async function sourceContentType(
  context: RouteContext,
  source: string,
): Promise<string | { kind: 'source-not-found' | 'source-deleted' }> {
  try {
    const info = await context.store.info(refOf(context, source));
    return info === null ? { kind: 'source-not-found' } : info.contentType;
  } catch (error) {
    // The store's answer for a deleted stream kept as a tombstone for its forks.
    if (isReplayRailError(error, 'replay_window_expired')) return { kind: 'source-deleted' };
    throw error;
  }
}

function forkResponse(c: Context, { options }: RouteContext, result: DurableForkResult): Response {
  switch (result.kind) {
    case 'created':
    case 'exists':
      return createdResponse(c, options, result);
    case 'conflict':
      return problem(
        options,
        409,
        'conflict',
        'a stream exists at this path that is not this fork (its source, offset, sub-offset, content type, expiry or closure differ)',
      );
    case 'deleted':
      return problem(
        options,
        409,
        'stream_deleted',
        'the stream at this path was deleted while it had forks: the path is taken until they are deleted',
      );
    case 'source-not-found':
      return notFound(options, 'source stream (Stream-Forked-From)');
    case 'source-deleted':
      return problem(options, 409, 'source_deleted', 'the source stream was deleted: it cannot be forked any more');
    case 'content-type-mismatch':
      return problem(
        options,
        409,
        'content_type_mismatch',
        `a fork has its source's content type, ${JSON.stringify(result.sourceContentType)}`,
      );
    case 'offset-beyond-tail':
      return problem(
        options,
        400,
        'invalid_fork_offset',
        `Stream-Fork-Offset is past the source's tail, ${encodeOffset(result.tail)}`,
      );
    case 'sub-offset-overshoot':
      return problem(
        options,
        400,
        'invalid_fork_sub_offset',
        `Stream-Fork-Sub-Offset reaches past the data that follows Stream-Fork-Offset (${result.available} bytes, or JSON messages, there)`,
      );
    case 'too-many-messages':
      return problem(
        options,
        400,
        'fork_too_large',
        `a fork inherits at most ${result.limit} messages (maxForkMessages): fork at an earlier offset`,
      );
    case 'source-trimmed':
      return problem(
        options,
        409,
        'source_trimmed',
        'retention trimmed the source while the fork copied it: nothing was created, a retry forks what is left',
      );
  }
}
