/**
 * @module
 * Turns what a Redis client throws into `StoreError` or `StoreUnavailableError`
 * with context, so no raw client error reaches a caller, and bounds every command
 * by a timeout so a stopped server cannot hang one.
 */

import { isReplayRailError } from '@replayrail/core';
import { StoreError, StoreUnavailableError } from '@replayrail/core/errors';

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

const identity = <T>(value: T): T => value;

interface Pending {
  readonly deadline: number;
  fail(): void;
}

/**
 * Bounds commands by a timeout with one shared, coarse timer instead of a timer per
 * command: arming and clearing a timer for every publish cost more than the rest of
 * the store's work on the hot path. A command past its deadline is rejected with
 * `StoreUnavailableError` within about a tenth of the timeout.
 */
export class CommandDeadlines {
  readonly #timeoutMs: number;
  readonly #pending = new Set<Pending>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Resolves like `promise`, or rejects with `StoreUnavailableError` once `timeoutMs`
   * passed; client errors become ReplayRail errors. The command may still complete
   * on the server; `uncertain` tells the caller what that means for them.
   */
  run<T>(
    promise: Promise<T>,
    operation: string,
    context: Record<string, unknown>,
    uncertain = '',
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    return this.map(promise, identity, operation, context, uncertain, timeoutMs);
  }

  /** `run`, then `map` on the reply, in the same step (one promise fewer on the publish path). */
  map<T, U>(
    promise: Promise<T>,
    map: (value: T) => U,
    operation: string,
    context: Record<string, unknown>,
    uncertain = '',
    timeoutMs = this.#timeoutMs,
  ): Promise<U> {
    return new Promise<U>((resolve, reject) => {
      const pending: Pending = {
        deadline: Date.now() + timeoutMs,
        fail: () =>
          reject(
            new StoreUnavailableError(`Redis did not answer ${operation} within ${timeoutMs} ms${uncertain}`, {
              context: { operation, ...context, timeout_ms: timeoutMs },
            }),
          ),
      };
      this.#pending.add(pending);
      if (this.#timer === undefined) {
        this.#timer = setInterval(() => this.#sweep(), Math.min(100, Math.max(5, this.#timeoutMs / 10)));
        // Pending commands hold their sockets open; the sweep need not hold the process.
        this.#timer.unref?.();
      }
      promise.then(
        (value) => {
          this.#pending.delete(pending);
          resolve(map(value));
        },
        (error: unknown) => {
          this.#pending.delete(pending);
          reject(toStoreError(error, operation, context));
        },
      );
    });
  }

  #sweep(): void {
    const now = Date.now();
    for (const pending of this.#pending) {
      if (pending.deadline > now) continue;
      this.#pending.delete(pending);
      pending.fail();
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
