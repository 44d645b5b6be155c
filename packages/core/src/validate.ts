/**
 * @module
 * The rules for channel names, event types and event_ids (docs/architecture.md, "Limits and bad input"). Channels
 * become Redis keys and URL path segments, so the rules keep every key inside the
 * prefix, out of the idempotency records' names, and free of glob or hash-tag
 * characters (`*`, `{`, `}`), spaces and control characters.
 */

import { InvalidChannelError, InvalidEventIdError, InvalidEventTypeError, InvalidRequestError } from './errors.js';
import type { ReplayRailLimits } from './types.js';

const CHANNEL_CHARS = /^[A-Za-z0-9._:/-]+$/;
const NAME_CHARS = /^[A-Za-z0-9._:-]+$/;
/** Channel names reserved for the idempotency records `<prefix>:idempotency:<event_id>`. */
const RESERVED_CHANNEL = 'idempotency';

// Names already found valid, per limits object. An app publishes to a few channels
// and types over and over; each is checked once. Bounded, so a stream of distinct
// names cannot grow it without limit.
const KNOWN_LIMIT = 10_000;
const known = new WeakMap<ReplayRailLimits, Set<string>>();

function isKnown(limits: ReplayRailLimits, key: string): boolean {
  return known.get(limits)?.has(key) ?? false;
}

function remember(limits: ReplayRailLimits, key: string): void {
  let names = known.get(limits);
  if (names === undefined) {
    names = new Set();
    known.set(limits, names);
  }
  if (names.size >= KNOWN_LIMIT) names.clear();
  names.add(key);
}

function shown(value: string): string {
  return value.length > 64 ? `${JSON.stringify(value.slice(0, 64))}… (${value.length} chars)` : JSON.stringify(value);
}

function checkName(
  value: unknown,
  what: string,
  pattern: RegExp,
  allowed: string,
  maxLength: number,
  ErrorClass: new (message: string, options?: { context?: Record<string, unknown> }) => Error,
): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ErrorClass(`${what} must be a non-empty string, got ${typeof value === 'string' ? '""' : typeof value}`);
  }
  if (value.length > maxLength) {
    throw new ErrorClass(`${what} ${shown(value)} is longer than ${maxLength} characters`, {
      context: { length: value.length, maxLength },
    });
  }
  if (!pattern.test(value)) {
    throw new ErrorClass(`${what} ${shown(value)} may only contain ${allowed}`, { context: { [what]: value } });
  }
}

/**
 * Throws `InvalidChannelError` unless `channel` is 1 to `maxChannelLength` characters
 * of `A-Z a-z 0-9 . _ : / -`, has no empty, `.` or `..` segment between slashes, and
 * is not `idempotency` or under `idempotency:` (reserved).
 *
 * @example
 * assertChannel('restaurant:123:orders', limits); // ok
 * assertChannel('orders/../admin', limits); // throws InvalidChannelError
 */
export function assertChannel(channel: unknown, limits: ReplayRailLimits): asserts channel is string {
  if (typeof channel === 'string' && isKnown(limits, `c:${channel}`)) return;
  checkName(
    channel,
    'channel',
    CHANNEL_CHARS,
    'letters, digits and . _ : / -',
    limits.maxChannelLength,
    InvalidChannelError,
  );
  // Only a slash or a leading dot can make a bad segment; most names have neither.
  const segments = channel.includes('/') ? channel.split('/') : channel.startsWith('.') ? [channel] : [];
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidChannelError(`channel ${shown(channel)} has an empty, "." or ".." segment between slashes`, {
        context: { channel },
      });
    }
  }
  if (channel === RESERVED_CHANNEL || channel.startsWith(`${RESERVED_CHANNEL}:`)) {
    throw new InvalidChannelError(
      `channel ${shown(channel)} is reserved: its key would collide with the idempotency records`,
      { context: { channel } },
    );
  }
  remember(limits, `c:${channel}`);
}

/** Throws `InvalidEventTypeError` unless `type` is 1 to `maxEventTypeLength` of `A-Z a-z 0-9 . _ : -`. */
export function assertEventType(type: unknown, limits: ReplayRailLimits): asserts type is string {
  if (typeof type === 'string' && isKnown(limits, `t:${type}`)) return;
  checkName(type, 'type', NAME_CHARS, 'letters, digits and . _ : -', limits.maxEventTypeLength, InvalidEventTypeError);
  remember(limits, `t:${type}`);
}

/** Throws `InvalidEventIdError` unless `eventId` is 1 to `maxEventIdLength` of `A-Z a-z 0-9 . _ : -`. */
export function assertEventId(eventId: unknown, limits: ReplayRailLimits): asserts eventId is string {
  checkName(
    eventId,
    'event_id',
    NAME_CHARS,
    'letters, digits and . _ : -',
    limits.maxEventIdLength,
    InvalidEventIdError,
  );
}

const GROUP_NAME = /^[A-Za-z0-9._:-]{1,128}$/;
/** What a consumer group's or a consumer's name may be, as error messages say it. */
export const GROUP_NAME_RULE = '1-128 characters of A-Z a-z 0-9 . _ : -';

/** Whether `value` may name a consumer group or a consumer: `GROUP_NAME_RULE`. */
export function isGroupName(value: unknown): value is string {
  return typeof value === 'string' && GROUP_NAME.test(value);
}

/** Throws `InvalidRequestError` unless `value` may name a consumer group (`GROUP_NAME_RULE`). */
export function assertGroupName(value: unknown, field: string): asserts value is string {
  if (isGroupName(value)) return;
  throw new InvalidRequestError(`${field} must be ${GROUP_NAME_RULE}, got ${JSON.stringify(value)}`, {
    context: { [field]: typeof value === 'string' ? value.slice(0, 64) : typeof value },
  });
}
