/**
 * @module
 * When to try again: exponential backoff with full jitter. Each client waits a
 * random time between 0 and the capped exponential step, so thousands of clients
 * dropped by one server restart come back spread over that window, not at once.
 */

export interface BackoffOptions {
  /** The first step. @default 500 */
  initialMs?: number;
  /** The largest step. @default 30000 */
  maxMs?: number;
  /** A connection open this long resets the steps. @default 10000 */
  stableMs?: number;
}

/** The wait before attempt `attempt` (0 for the first retry): uniform in [0, min(max, initial × 2^attempt)). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random = Math.random): number {
  return Math.floor(
    random() * Math.min(options.maxMs ?? 30_000, (options.initialMs ?? 500) * 2 ** Math.min(attempt, 30)),
  );
}
