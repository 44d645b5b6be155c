/**
 * @module
 * What a `PUT` that made or found its stream answers, a plain create's and a fork's
 * alike (PROTOCOL.md section 5.1): 201 with `Location`, or 200; the stream's content
 * type, its tail, and `Stream-Closed` when it is closed. Nothing names a fork's source.
 */

import type { DurableStreamInfo } from '@replayrail/core/store';
import type { Context } from 'hono';
import { encodeOffset } from './offsets.js';
import type { ResolvedOptions } from './options.js';
import { H, respond } from './responses.js';

/** 201 for `created`, 200 for `exists`. */
export function createdResponse(
  c: Context,
  options: ResolvedOptions,
  result: { readonly kind: 'created' | 'exists'; readonly info: DurableStreamInfo },
): Response {
  const extra: Record<string, string> = {
    'content-type': result.info.contentType,
    [H.nextOffset]: encodeOffset(result.info.tail),
  };
  if (result.info.closed) extra[H.closed] = 'true';
  if (result.kind === 'created') extra.location = c.req.url.replace(/[?#].*$/, '');
  return respond(options, result.kind === 'created' ? 201 : 200, extra);
}
