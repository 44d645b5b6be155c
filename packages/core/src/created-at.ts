/**
 * @module
 * `created_at` in the form the Python ReplayRail writes (docs/architecture.md, "The envelope and the Redis layout"): UTC with `Z`,
 * no fraction when it is zero, else exactly six fractional digits. A stored value
 * in that form is read back byte for byte; one another writer stored in another
 * ISO form is read in this one, so every reader sees one form whoever wrote it.
 */

import { InvalidCreatedAtError } from './errors.js';

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

// Formats a UTC instant given as epoch milliseconds plus extra microseconds (0-999).
function format(epochMs: number, extraMicros: number): string {
  const date = new Date(epochMs);
  const year = date.getUTCFullYear();
  if (Number.isNaN(epochMs) || year < 1 || year > 9999) {
    throw new InvalidCreatedAtError('createdAt must be a valid time between the years 1 and 9999 (UTC)', {
      context: { createdAt: Number.isNaN(epochMs) ? 'Invalid Date' : new Date(epochMs).toISOString() },
    });
  }
  const base =
    `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  const micros = date.getUTCMilliseconds() * 1000 + extraMicros;
  return micros === 0 ? `${base}Z` : `${base}.${pad(micros, 6)}Z`;
}

/**
 * The wire form of a time: a `Date` (millisecond precision), or an ISO 8601 string
 * with any offset and up to microsecond precision (finer digits are truncated, as
 * Python's datetime does). Throws `InvalidCreatedAtError` on anything else.
 *
 * @example
 * formatCreatedAt(new Date('2026-06-29T12:00:00.123Z')); // '2026-06-29T12:00:00.123000Z'
 * formatCreatedAt('2026-06-29T14:00:00+02:00'); // '2026-06-29T12:00:00Z'
 */
export function formatCreatedAt(value: Date | string): string {
  if (value instanceof Date) return format(value.getTime(), 0);
  if (typeof value !== 'string') {
    throw new InvalidCreatedAtError(`createdAt must be a Date or an ISO 8601 string, got ${typeof value}`);
  }
  const { epochMs, extraMicros } = parseIsoTime(value);
  return format(epochMs, extraMicros);
}

/**
 * An ISO 8601 time with a zone (`Z` or an offset; a time without one would be read
 * in some server's local time) as epoch milliseconds, sub-millisecond digits
 * dropped. Calendar-checked: `2026-02-30` is refused, not rolled into March.
 * Throws `InvalidCreatedAtError`.
 *
 * @example
 * isoTimeToEpochMs('2026-06-29T14:00:00.5+02:00'); // 1782734400500
 */
export function isoTimeToEpochMs(value: string): number {
  const { epochMs } = parseIsoTime(value);
  return epochMs;
}

function parseIsoTime(value: string): { epochMs: number; extraMicros: number } {
  const match = ISO_PATTERN.exec(value);
  if (match === null) {
    throw new InvalidCreatedAtError(
      `createdAt must be an ISO 8601 time with a zone, such as 2026-06-29T12:00:00.123456Z, got ${JSON.stringify(value.slice(0, 64))}`,
    );
  }
  const [, y, mo, d, h, mi, s, fraction = '', , sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  // setUTCFullYear, unlike Date.UTC, leaves years 0-99 alone. It rolls 2026-02-30
  // over into March, so a real date is one that maps back to itself.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  check.setUTCHours(hour, minute, second, 0);
  const utc = check.getTime();
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second ||
    Number(oh ?? 0) > 23 ||
    Number(om ?? 0) > 59
  ) {
    throw new InvalidCreatedAtError(`createdAt is not a real date and time: ${JSON.stringify(value.slice(0, 64))}`);
  }
  const offsetMs = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const micros = Number(fraction.slice(0, 6).padEnd(6, '0'));
  return { epochMs: utc - offsetMs + Math.floor(micros / 1000), extraMicros: micros % 1000 };
}

// The envelope's own form, which nearly every stored value has: checked without a
// Date. A day past 28 (is it in its month?), year 0 and a zero fraction (written
// without one) take the full parse below it.
const ENVELOPE_FORM =
  /^(\d{4})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.(\d{6}))?Z$/;

/**
 * A stored `created_at` in the envelope's form: as stored when it has that form,
 * else the same instant from any other ISO 8601 time with a zone (an offset such as
 * `+02:00`, 1 to 9 fractional digits or none, a space for the `T`). Throws
 * `InvalidCreatedAtError` on anything else: text that is not a time, a time without
 * a zone, a date that does not exist.
 *
 * @example
 * readCreatedAt('2026-06-29T12:00:00.123000Z'); // as stored
 * readCreatedAt('2026-06-29T14:00:00.123+02:00'); // '2026-06-29T12:00:00.123000Z'
 */
export function readCreatedAt(stored: string): string {
  const match = ENVELOPE_FORM.exec(stored);
  if (match !== null && match[1] !== '0000' && match[2] !== '000000') return stored;
  return formatCreatedAt(stored);
}

// Many events share a millisecond under load: format each one once.
let lastMs = Number.NaN;
let lastText = '';

/** The current time in wire form (millisecond precision, as the platform's clock gives). */
export function nowCreatedAt(now: () => number = Date.now): string {
  const ms = now();
  if (ms !== lastMs) {
    lastText = format(ms, 0);
    lastMs = ms;
  }
  return lastText;
}
