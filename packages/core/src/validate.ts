/**
 * @module
 * The rules for channel names, event types and event_ids (DESIGN §8). Channels
 * become Redis keys and URL path segments, so the rules keep every key inside the
 * prefix, out of the idempotency records' names, and free of glob or hash-tag
 * characters (`*`, `{`, `}`), spaces and control characters.
 */

import type { ReplayRailLimits } from './config.js';
import { InvalidChannelError, InvalidEventIdError, InvalidEventTypeError } from './errors.js';

const CHANNEL_CHARS = /^[A-Za-z0-9._:/-]+$/;
const NAME_CHARS = /^[A-Za-z0-9._:-]+$/;
/** Channel names reserved for the idempotency records `<prefix>:idempotency:<event_id>`. */
const RESERVED_CHANNEL = 'idempotency';

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
  checkName(
    channel,
    'channel',
    CHANNEL_CHARS,
    'letters, digits and . _ : / -',
    limits.maxChannelLength,
    InvalidChannelError,
  );
  for (const segment of channel.split('/')) {
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
}

/** Throws `InvalidEventTypeError` unless `type` is 1 to `maxEventTypeLength` of `A-Z a-z 0-9 . _ : -`. */
export function assertEventType(type: unknown, limits: ReplayRailLimits): asserts type is string {
  checkName(type, 'type', NAME_CHARS, 'letters, digits and . _ : -', limits.maxEventTypeLength, InvalidEventTypeError);
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
