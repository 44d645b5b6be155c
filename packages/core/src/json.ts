/**
 * @module
 * Safe JSON for payload, actor and metadata. `JSON.stringify` silently turns NaN
 * into null, drops `undefined`, functions and symbol keys, flattens Maps to `{}`
 * and throws an unhelpful TypeError on BigInt and cycles; an audit log must lose
 * nothing, so every one of those is a `SerializationError` naming the path.
 */

import { SerializationError } from './errors.js';
import { guardLargeIntegers, type LargeIntegers } from './large-integers.js';
import type { JsonObject } from './types.js';

function fail(path: string, problem: string, context: Record<string, unknown> = {}): never {
  throw new SerializationError(`${path} ${problem}`, { context: { path, ...context } });
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

// A problem found by the walk. The path is filled in on the way out (each frame
// adds its key as the problem passes), so a valid value, the common case, costs
// no path bookkeeping at all.
class Problem {
  readonly keys: (string | number)[] = [];
  constructor(
    readonly message: string,
    readonly context: Record<string, unknown> = {},
  ) {}
}

// Adds a key to a problem passing out through this frame, for its path.
function locate(error: unknown, key: string | number): unknown {
  if (error instanceof Problem) error.keys.unshift(key);
  return error;
}

// Rejects anything JSON.stringify would change. `ancestors` holds the objects on
// the current path: a cycle is found, a shared (non-cyclic) sub-object is allowed.
// Depth counts objects and arrays, the root at 1.
function check(value: unknown, depth: number, maxDepth: number, ancestors: object[]): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new Problem(`is ${value}, which JSON cannot represent`);
      // JSON.stringify writes integers below 1e21 as plain digits, which a reader
      // could not tell from a 64-bit integer it must not round (large-integers.ts).
      if (Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21) {
        throw new Problem(
          `is ${value}, an integer outside ±(2^53 − 1), which JavaScript does not hold exactly: store it as a string`,
        );
      }
      return;
    case 'object':
      break;
    default:
      // undefined, bigint, function, symbol
      throw new Problem(`is ${typeName(value)}, which is not a JSON value`);
  }
  if (value === null) return;
  if (depth > maxDepth) throw new Problem(`nests deeper than the limit of ${maxDepth} levels`, { maxDepth });
  if (ancestors.includes(value)) throw new Problem('refers back to itself (a cycle)');
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      try {
        if (!(i in value)) throw new Problem('is a hole in a sparse array');
        check(value[i], depth + 1, maxDepth, ancestors);
      } catch (error) {
        throw locate(error, i);
      }
    }
  } else {
    if (!isPlainObject(value)) {
      throw new Problem(
        `is a ${typeName(value)}; only plain objects, arrays, strings, finite numbers, booleans and null are stored`,
      );
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw new Problem('has symbol keys, which JSON drops');
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      try {
        check((value as Record<string, unknown>)[key], depth + 1, maxDepth, ancestors);
      } catch (error) {
        throw locate(error, key);
      }
    }
  }
  ancestors.pop();
}

/**
 * Encodes a JSON object to compact text, or throws `SerializationError` naming the
 * first value that would not survive the trip (`field` starts the path).
 *
 * @example
 * encodeJsonObject({ order_id: 'ord_1' }, 'payload', 32); // '{"order_id":"ord_1"}'
 * encodeJsonObject({ total: NaN }, 'payload', 32); // throws: payload.total is NaN …
 */
export function encodeJsonObject(value: unknown, field: string, maxDepth: number): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(field, `must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeName(value)}`);
  }
  try {
    check(value, 1, maxDepth, []);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    let path = field;
    for (const key of error.keys) path += typeof key === 'number' ? `[${key}]` : `.${key}`;
    fail(path, error.message, error.context);
  }
  return JSON.stringify(value);
}

/**
 * Parses stored JSON text that must be an object. `where` names the entry in the
 * error, so an undecodable entry (Python writes a bare `NaN`) is never dropped in
 * silence; `largeIntegers` says what an integer outside ±(2^53 − 1) becomes.
 */
export function decodeJsonObject(
  text: string,
  field: string,
  where: Record<string, unknown>,
  largeIntegers: LargeIntegers = 'error',
): JsonObject {
  let value: unknown;
  const exact = guardLargeIntegers(text, field, where, largeIntegers);
  try {
    value = JSON.parse(exact);
  } catch (error) {
    throw new SerializationError(`stored ${field} is not valid JSON: ${(error as Error).message}`, {
      context: { field, ...where },
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SerializationError(`stored ${field} is not a JSON object`, { context: { field, ...where } });
  }
  return value as JsonObject;
}

/** The UTF-8 size of a string, without allocating an encoded copy. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // A surrogate pair is 2 UTF-16 units and 4 UTF-8 bytes.
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
      } else bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}
