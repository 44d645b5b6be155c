/**
 * @module
 * Arguments turned into what the rail takes, each refused with a `UsageError`
 * naming the option: times, cursors, JSON objects, start positions, counts.
 */

import type { JsonObject } from '@replayrail/core';

/** A bad argument: exit code 2 with its message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * `--from` and `--since` as the rail takes them: the same vocabulary as everywhere
 * a read starts, checked by the rail. A bare number for `--since` was epoch
 * milliseconds in earlier versions: refused, naming the ISO time it meant.
 */
export function startOptions(options: { from?: string; since?: string }): { from?: string; since?: string } {
  const { from, since } = options;
  if (since !== undefined && /^\d+$/.test(since)) {
    const meant = new Date(Number(since));
    const iso = Number.isNaN(meant.getTime()) ? 'an ISO 8601 time' : meant.toISOString();
    throw new UsageError(`--since takes an ISO 8601 time with a zone, as everywhere a read starts: give ${iso}`);
  }
  return { ...(from !== undefined && { from }), ...(since !== undefined && { since }) };
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

/** A count option (`--limit 50`): a positive integer in plain digits, else `fallback` when absent. */
export function positiveCount(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const count = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(count) || count < 1) {
    throw new UsageError(`${option} must be a positive integer, got ${text}`);
  }
  return count;
}
