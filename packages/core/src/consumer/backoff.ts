/**
 * @module
 * How long a consumer waits before running a failed entry again: exponential in the
 * attempts so far, capped, with jitter so that entries which failed together (a
 * database that went away) do not all come back at the same moment.
 */

/** The backoff of retries. */
export interface Backoff {
  /** Wait before the second attempt, in ms. @default 1000 */
  readonly initialMs: number;
  /** Longest wait, in ms. @default 60000 */
  readonly maxMs: number;
  /** Each wait is this many times the one before. @default 2 */
  readonly multiplier: number;
  /** Share of each wait drawn at random, 0 to 1: 0.2 waits 80% to 100% of it. @default 0.2 */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0.2 };

/** The wait after the `failures`-th failure of an entry (1 for the first). */
export function retryDelay(failures: number, backoff: Backoff, random: () => number = Math.random): number {
  const exponential = backoff.initialMs * backoff.multiplier ** Math.max(0, failures - 1);
  const capped = Math.min(backoff.maxMs, exponential);
  return Math.round(capped * (1 - backoff.jitter * random()));
}
