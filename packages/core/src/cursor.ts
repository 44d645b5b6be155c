/**
 * @module
 * Cursors are Redis stream IDs, `<milliseconds>-<sequence>`, two unsigned 64-bit
 * decimal integers (docs/architecture.md, "Cursors"). They compare numerically, never as strings, and
 * this module is the only place that parses them. Browser-safe and zod-free
 * (`@replayrail/core/cursor`).
 */

import { InvalidCursorError } from './errors.js';
import type { Cursor } from './types.js';

/** "Before everything": replaying after it starts at the first retained event. */
export const ZERO_CURSOR: Cursor = '0-0';

/** "Only what comes after now"; resolved to a concrete cursor at subscribe time. */
export const LIVE_CURSOR = '$';

/** A parsed cursor. */
export interface CursorParts {
  readonly ms: bigint;
  readonly seq: bigint;
}

const MAX_U64 = 0xffff_ffff_ffff_ffffn; // 2^64 − 1
// Canonical decimal: "0", or a non-zero digit then up to 19 more. ASCII only, so
// no other script's digits and no "+1", "1e3", " 1" or "01" slip through.
const CURSOR_PATTERN = /^(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})$/;

function describe(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return value.length > 64 ? `"${value.slice(0, 64)}…" (${value.length} chars)` : JSON.stringify(value);
}

/** True when `value` is a canonical cursor whose parts fit in 64 bits. */
export function isCursor(value: unknown): value is Cursor {
  if (typeof value !== 'string') return false;
  const match = CURSOR_PATTERN.exec(value);
  if (match === null) return false;
  // Only 20-digit parts can pass 2^64 - 1; skip the BigInt work for the rest.
  return (
    ((match[1] as string).length < 20 || BigInt(match[1] as string) <= MAX_U64) &&
    ((match[2] as string).length < 20 || BigInt(match[2] as string) <= MAX_U64)
  );
}

/**
 * Throws `InvalidCursorError` unless `value` is a canonical cursor.
 *
 * @example
 * assertCursor('1719367320123-0'); // ok
 * assertCursor('abc'); // throws InvalidCursorError
 */
export function assertCursor(value: unknown, what = 'cursor'): asserts value is Cursor {
  if (!isCursor(value)) {
    throw new InvalidCursorError(
      `${what} must be '<milliseconds>-<sequence>' with unsigned 64-bit decimal parts, got ${describe(value)}`,
      { context: { cursor: typeof value === 'string' ? value.slice(0, 64) : typeof value } },
    );
  }
}

/**
 * Splits a cursor into its numeric parts.
 *
 * @example
 * parseCursor('1719367320123-7'); // { ms: 1719367320123n, seq: 7n }
 */
export function parseCursor(value: unknown): CursorParts {
  assertCursor(value);
  const dash = value.indexOf('-');
  return { ms: BigInt(value.slice(0, dash)), seq: BigInt(value.slice(dash + 1)) };
}

/** Formats parts as a canonical cursor; throws `InvalidCursorError` outside 0 … 2^64 - 1. */
export function formatCursor(parts: CursorParts): Cursor {
  const { ms, seq } = parts;
  if (ms < 0n || ms > MAX_U64 || seq < 0n || seq > MAX_U64) {
    throw new InvalidCursorError(`cursor parts must be in 0 … 2^64 - 1, got ${ms}-${seq}`);
  }
  return `${ms}-${seq}`;
}

/**
 * Compares two canonical cursors numerically: negative, zero or positive.
 * Callers validate first; this runs once per delivered event, so it compares the
 * text, no BigInt: with no leading zeros, a longer number is the larger one, and
 * numbers of one length compare as text.
 *
 * @example
 * compareCursors('9-0', '10-0'); // < 0 (a string comparison would say > 0)
 */
export function compareCursors(a: Cursor, b: Cursor): number {
  const dash = a.indexOf('-');
  const other = b.indexOf('-');
  if (dash !== other) return dash - other;
  // Milliseconds of one length: as text, unless they are equal and the sequences
  // are not of one length (then the longer is the larger; rare, so the slice is too).
  if (a.length !== b.length && a.startsWith(b.slice(0, dash + 1))) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The smallest cursor greater than `cursor` (the sequence overflows into the next millisecond). */
export function nextCursor(cursor: Cursor): Cursor {
  const { ms, seq } = parseCursor(cursor);
  return seq === MAX_U64 ? formatCursor({ ms: ms + 1n, seq: 0n }) : formatCursor({ ms, seq: seq + 1n });
}

/** The greatest cursor less than `cursor` (`0-0` has none: it stays `0-0`). */
export function previousCursor(cursor: Cursor): Cursor {
  const { ms, seq } = parseCursor(cursor);
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  return ms === 0n ? ZERO_CURSOR : `${ms - 1n}-${MAX_U64}`;
}

/**
 * The first cursor of a millisecond: where replay `since` a time starts (inclusive).
 * A range bound for stores, never handed to a client as a position.
 */
export function cursorAtTime(time: Date): Cursor {
  const ms = time.getTime();
  if (!Number.isInteger(ms) || ms < 0) {
    throw new InvalidCursorError(`since must be a valid date at or after 1970-01-01, got ${String(time)}`);
  }
  return `${ms}-0`;
}

/**
 * The last cursor of a millisecond: where a replay `until` a time ends (inclusive).
 * A range bound for stores, never handed to a client as a position.
 */
export function lastCursorAtTime(time: Date): Cursor {
  const ms = time.getTime();
  if (!Number.isInteger(ms) || ms < 0) {
    throw new InvalidCursorError(`until must be a valid date at or after 1970-01-01, got ${String(time)}`);
  }
  return `${ms}-${MAX_U64}`;
}
