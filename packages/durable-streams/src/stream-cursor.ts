/**
 * @module
 * `Stream-Cursor` (PROTOCOL.md section 10.1): what a live response gives a client to
 * echo as `cursor=`, so that a CDN collapsing long-polls keys them by time interval
 * and never serves a cached empty answer forever. The cursor is the number of
 * intervals (20 s by default) since an epoch (2024-10-09T00:00:00Z by default); when
 * the client's cursor is at or past the current interval, the answer is strictly
 * greater than the client's, by a random 1 to 3600 seconds' worth of intervals, so
 * cursors never go back and never cycle.
 */

/** How cursors are counted. */
export interface CursorClock {
  /** Interval length in seconds. @default 20 */
  readonly intervalSeconds: number;
  /** The epoch intervals are counted from, epoch ms. @default Date.UTC(2024, 9, 9) */
  readonly epochMs: number;
  /** The current time, epoch ms. @default Date.now */
  readonly now: () => number;
  /** A random number in [0, 1). @default Math.random */
  readonly random: () => number;
}

export const DEFAULT_CURSOR_CLOCK: CursorClock = {
  intervalSeconds: 20,
  epochMs: Date.UTC(2024, 9, 9),
  now: Date.now,
  random: Math.random,
};

const MIN_JITTER_SECONDS = 1;
const MAX_JITTER_SECONDS = 3600;
const CLIENT_CURSOR = /^[0-9]{1,15}$/;

/** The current interval's number. */
export function currentInterval(clock: CursorClock = DEFAULT_CURSOR_CLOCK): number {
  return Math.floor((clock.now() - clock.epochMs) / (clock.intervalSeconds * 1000));
}

/**
 * The cursor to answer with, given the client's `cursor` parameter (if any): the
 * current interval, or, when the client's is not behind it, the client's plus jitter.
 * A cursor that is not a number is treated as absent.
 */
export function responseCursor(clientCursor: string | undefined, clock: CursorClock = DEFAULT_CURSOR_CLOCK): string {
  const current = currentInterval(clock);
  if (clientCursor === undefined || !CLIENT_CURSOR.test(clientCursor)) return String(current);
  const client = Number(clientCursor);
  if (client < current) return String(current);
  const jitterSeconds = MIN_JITTER_SECONDS + Math.floor(clock.random() * (MAX_JITTER_SECONDS - MIN_JITTER_SECONDS + 1));
  return String(client + Math.max(1, Math.ceil(jitterSeconds / clock.intervalSeconds)));
}
