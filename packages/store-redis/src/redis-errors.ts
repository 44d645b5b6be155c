/**
 * @module
 * Turns what a Redis client throws into `StoreError` or `StoreUnavailableError`
 * with context, so no raw client error reaches a caller, and bounds every command
 * by a timeout so a stopped server cannot hang one.
 */

import { isReplayRailError, StoreError, StoreUnavailableError } from '@replayrail/core';

// Errors that mean "Redis is not reachable or not serving right now": retrying
// later may succeed. Covers ioredis and node-redis wording and Redis's own replies.
const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection is closed|connection is closed|The client is closed|client is closed|Socket closed|socket closed|ClientClosed|SocketClosedUnexpectedly|ConnectionTimeout|Reached the max retries|MaxRetriesPerRequest|offline queue|Stream isn't writeable|None of startup nodes is available|Cluster isn't ready|^LOADING|^CLUSTERDOWN|^TRYAGAIN|^MASTERDOWN|^READONLY|^NOREPLICAS|^BUSY/;

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Wraps a client error with what the store was doing; ReplayRail errors pass through. */
export function toStoreError(error: unknown, operation: string, context: Record<string, unknown>): Error {
  if (isReplayRailError(error)) return error;
  const text = describeError(error);
  const message = (error as Error)?.message ?? text;
  const details = { context: { operation, ...context, redis_error: text }, cause: error };
  return UNAVAILABLE.test(message) || UNAVAILABLE.test(text)
    ? new StoreUnavailableError(`Redis is unavailable during ${operation}: ${message}`, details)
    : new StoreError(`Redis ${operation} failed: ${message}`, details);
}

/**
 * Resolves like `promise`, or rejects with `StoreUnavailableError` after `timeoutMs`.
 * The command may still complete on the server; `uncertain` says what that means.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  operation: string,
  context: Record<string, unknown>,
  uncertain = '',
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new StoreUnavailableError(`Redis did not answer ${operation} within ${timeoutMs} ms${uncertain}`, {
          context: { operation, ...context, timeout_ms: timeoutMs },
        }),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } catch (error) {
    throw toStoreError(error, operation, context);
  } finally {
    clearTimeout(timer);
  }
}
