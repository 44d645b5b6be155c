/**
 * @module
 * Arguments turned into what the rail takes, each refused with a `UsageError`
 * naming the option: times, cursors, JSON objects, start positions.
 */

import { type Cursor, isCursor, type JsonObject } from '@replayrail/core';

/** A bad argument: exit code 2 with its message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseTime(text: string, option: string): Date {
  // A bare number is epoch milliseconds; anything else must be an ISO 8601 time.
  const date = /^\d+$/.test(text) ? new Date(Number(text)) : new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`${option} must be an ISO 8601 time or epoch milliseconds, got ${JSON.stringify(text)}`);
  }
  return date;
}

/** `--until`: a cursor, or else a time. */
export function parseUntil(text: string): Cursor | Date {
  return isCursor(text) ? text : parseTime(text, '--until');
}

export type From = { after: Cursor } | { from: 'earliest' | 'latest' };

/** `--from earliest|latest|<cursor>`: the events after a cursor, or from an end. */
export function parseFrom(text: string): From {
  if (text === 'earliest' || text === 'latest') return { from: text };
  if (!isCursor(text))
    throw new UsageError(`--from must be earliest, latest or a cursor (<ms>-<seq>), got ${JSON.stringify(text)}`);
  return { after: text };
}

export function parseJsonObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${what} must be a JSON object, got ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`);
  }
  return value as JsonObject;
}
