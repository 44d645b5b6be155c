/**
 * @module
 * What every `DurableStreamStore` refuses before it touches anything, with
 * `InvalidRequestError` (docs/durable-streams.md): the checks of a path, a producer's
 * claim, an append and a read, and the content-type comparison, shared so that the
 * memory and Redis stores refuse and compare alike.
 */

import { parseCursor } from '../cursor.js';
import { InvalidRequestError } from '../errors.js';
import type { DurableAppend, DurableReadQuery, DurableStreamRef, ProducerClaim } from './durable-stream-store.js';

/** The longest path a durable stream may have. */
export const MAX_DURABLE_PATH_LENGTH = 1024;
/** The longest producer id: the protocol sets no bound; one keeps a producer's state small wherever it is kept. */
export const MAX_PRODUCER_ID_LENGTH = 256;

/** `application/JSON; charset=utf-8` → `application/json`: the media type, as streams compare content types. */
export function normaliseContentType(contentType: string): string {
  return (contentType.split(';')[0] as string).trim().toLowerCase();
}

function refused(message: string, context: Record<string, unknown>): InvalidRequestError {
  return new InvalidRequestError(message, { context });
}

/** A path of 1 to 1024 characters without NUL. */
export function assertDurableRef(ref: DurableStreamRef): void {
  const { path } = ref;
  if (typeof path === 'string' && path.length >= 1 && path.length <= MAX_DURABLE_PATH_LENGTH && !path.includes('\0')) {
    return;
  }
  throw refused(`a durable stream's path must be 1 to ${MAX_DURABLE_PATH_LENGTH} characters without NUL`, {
    path: typeof path === 'string' ? path.slice(0, 64) : typeof path,
  });
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function assertClaim(claim: ProducerClaim | null): void {
  if (claim === null) return;
  const { id, epoch, seq } = claim;
  if (typeof id !== 'string' || id.length < 1 || id.length > MAX_PRODUCER_ID_LENGTH) {
    throw refused(`a producer's id must be 1 to ${MAX_PRODUCER_ID_LENGTH} characters`, {
      producer_id: typeof id === 'string' ? id.slice(0, 64) : typeof id,
    });
  }
  if (!isCount(epoch) || !isCount(seq)) {
    throw refused("a producer's epoch and seq must be integers in 0 … 2^53 - 1", { epoch, seq });
  }
}

/** A claim in range, and messages or a close (an append of nothing that does not close is no append). */
export function assertDurableAppend(request: DurableAppend): void {
  assertClaim(request.producer);
  if (request.messages.length === 0 && !request.close) {
    throw refused('an append with no messages must close the stream', {});
  }
}

/** A cursor to read after, a positive limit and a blockMs that is not negative. */
export function assertDurableRead(query: DurableReadQuery): void {
  parseCursor(query.after);
  if (!Number.isSafeInteger(query.limit) || query.limit < 1 || !(query.blockMs >= 0)) {
    throw refused("a read's limit must be a positive integer and its blockMs not negative", {
      limit: query.limit,
      block_ms: query.blockMs,
    });
  }
}
