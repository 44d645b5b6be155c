/**
 * @module
 * Forks of durable streams in memory (docs/durable-streams.md, "Forks"): what a fork
 * copies from its source, checked as the Redis store checks it, and whether a second
 * create of a fork asks for the same fork. A fork is a stream of its own from the
 * start: its inherited messages are the source's, with their IDs, so reads, live waits,
 * producers and closure work on it as on any stream.
 */

import type { Cursor } from '@replayrail/core';
import { compareCursors, ZERO_CURSOR } from '@replayrail/core/cursor';
import {
  type DurableFork,
  type DurableForkResult,
  type DurableStreamConfig,
  forkExpiry,
  messageByteLength,
  messagePrefix,
  normaliseContentType,
  type StoredDurableMessage,
} from '@replayrail/core/store';

/** Where a fork came from, kept on it: what releases its source, and what a second create must match. */
export interface ForkOrigin {
  /** The source's key in the store's map. */
  readonly sourceKey: string;
  readonly source: string;
  /** The source's incarnation: a source deleted and made again is another stream, not released by this fork. */
  readonly sourceId: string;
  /** The last source ID inherited, as resolved (the source's tail when the request named none). */
  readonly offset: Cursor;
  readonly subOffset: number;
  /** The source's TTL and expiry when it was forked: what a create naming neither inherits. */
  readonly inherited: Pick<DurableStreamConfig, 'ttlSeconds' | 'expiresAt'>;
}

/** What a fork reads of its source. */
export interface ForkSource {
  readonly config: DurableStreamConfig;
  readonly messages: readonly StoredDurableMessage[];
  /** Messages ever appended: more than `messages.length` means retention trimmed some. */
  readonly appended: number;
  readonly tail: Cursor;
}

/** What a fork starts with: its messages, its tail, and whether history before them was trimmed at the source. */
export interface ForkStart {
  readonly offset: Cursor;
  readonly messages: readonly StoredDurableMessage[];
  readonly tail: Cursor;
  readonly trimmed: boolean;
}

type Refusal = Exclude<DurableForkResult, { readonly info: unknown }>;

/**
 * The source's messages up to the offset, and past it as the sub-offset says (the next
 * messages in JSON mode; else a prefix of the next message, kept as a message with its
 * ID), or why the source refuses: the same checks, in the same order, as the Redis
 * script's.
 */
export function forkStart(
  source: ForkSource,
  request: DurableFork,
  firstAfter: (messages: readonly StoredDurableMessage[], cursor: Cursor) => number,
): ForkStart | Refusal {
  const sourceType = normaliseContentType(source.config.contentType);
  if (request.contentType !== null && normaliseContentType(request.contentType) !== sourceType) {
    return { kind: 'content-type-mismatch', sourceContentType: source.config.contentType };
  }
  const offset = request.offset ?? source.tail;
  if (compareCursors(offset, source.tail) > 0) return { kind: 'offset-beyond-tail', tail: source.tail };
  const end = firstAfter(source.messages, offset);
  let messages = source.messages.slice(0, end);
  if (request.subOffset > 0) {
    if (sourceType === 'application/json') {
      const next = source.messages.slice(end, end + request.subOffset);
      if (next.length < request.subOffset) return { kind: 'sub-offset-overshoot', available: next.length };
      messages = messages.concat(next);
    } else {
      const next = source.messages[end];
      const length = next === undefined ? 0 : messageByteLength(next);
      if (next === undefined || length < request.subOffset) {
        return { kind: 'sub-offset-overshoot', available: length };
      }
      messages.push(
        length === request.subOffset ? next : Object.freeze({ id: next.id, ...messagePrefix(next, request.subOffset) }),
      );
    }
  }
  if (messages.length > request.maxMessages) return { kind: 'too-many-messages', limit: request.maxMessages };
  const last = messages[messages.length - 1]?.id ?? ZERO_CURSOR;
  // History the source lost before what the fork copies is lost for the fork too: a
  // read of the fork from before it is 410, as it is on the source.
  const trimmed =
    source.appended > source.messages.length &&
    (messages.length === 0 ? offset !== ZERO_CURSOR : messages[0]?.id === source.messages[0]?.id);
  return { offset, messages, tail: compareCursors(offset, last) > 0 ? offset : last, trimmed };
}

/**
 * Whether a create of a fork asks for the fork that exists (PROTOCOL.md section 4.2,
 * "Idempotent fork creation"): the same source, offset (when named) and sub-offset,
 * content type (when named), expiry as it would resolve, and closure.
 */
export function sameFork(
  origin: ForkOrigin | null,
  config: DurableStreamConfig,
  closed: boolean,
  request: DurableFork,
): boolean {
  if (origin === null || origin.source !== request.source || origin.subOffset !== request.subOffset) return false;
  if (request.offset !== null && compareCursors(request.offset, origin.offset) !== 0) return false;
  if (
    request.contentType !== null &&
    normaliseContentType(request.contentType) !== normaliseContentType(config.contentType)
  ) {
    return false;
  }
  const expiry = forkExpiry(request, origin.inherited);
  return expiry.ttlSeconds === config.ttlSeconds && expiry.expiresAt === config.expiresAt && closed === request.closed;
}
