/**
 * @module
 * Safe JSON for payload, actor and metadata. `JSON.stringify` silently turns NaN
 * into null, drops `undefined`, functions and symbol keys, flattens Maps to `{}`
 * and throws an unhelpful TypeError on cycles; an audit log must lose nothing, so
 * every one of those is a `SerializationError` naming the path. A `bigint` within
 * 64 bits is written as the exact JSON integer other languages read as one (a
 * Python `int`, a Go `int64` or `uint64`).
 */

import { SerializationError } from './errors.js';
import { guardLargeIntegers, holdsUnsafeInteger, type LargeIntegers } from './large-integers.js';
import type { JsonObject, JsonValue } from './types.js';

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

// The range of a 64-bit integer, signed or unsigned: what other languages' JSON
// readers hold exactly (Python's int holds more, but Go, Java and SQL do not).
const MIN_INT64 = -(2n ** 63n);
const MAX_UINT64 = 2n ** 64n - 1n;

// One check of a value: the objects on the current path (a cycle is found, a shared
// sub-object is allowed), and whether a bigint was met, which JSON.stringify cannot write.
interface Walk {
  readonly maxDepth: number;
  readonly ancestors: object[];
  bigints: boolean;
}

// Rejects anything JSON.stringify would change. Depth counts objects and arrays, the root at 1.
function check(value: unknown, depth: number, walk: Walk): void {
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
          `is ${value}, an integer outside ±(2^53 − 1), which JavaScript does not hold exactly: pass it as a bigint or a string`,
        );
      }
      return;
    case 'bigint':
      if (value < MIN_INT64 || value > MAX_UINT64) {
        throw new Problem(`is ${value}n, outside 64 bits (−2^63 to 2^64 − 1)`, { value: String(value) });
      }
      walk.bigints = true;
      return;
    case 'object':
      break;
    default:
      // undefined, function, symbol
      throw new Problem(`is ${typeName(value)}, which is not a JSON value`);
  }
  if (value === null) return;
  const { maxDepth, ancestors } = walk;
  if (depth > maxDepth) throw new Problem(`nests deeper than the limit of ${maxDepth} levels`, { maxDepth });
  if (ancestors.includes(value)) throw new Problem('refers back to itself (a cycle)');
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      try {
        if (!(i in value)) throw new Problem('is a hole in a sparse array');
        check(value[i], depth + 1, walk);
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
        check((value as Record<string, unknown>)[key], depth + 1, walk);
      } catch (error) {
        throw locate(error, key);
      }
    }
  }
  ancestors.pop();
}

// JSON.stringify's output for a value `check` passed, with each bigint as its
// digits: the exact integer it is, which JSON.stringify refuses to write.
function stringifyWithBigInts(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stringifyWithBigInts).join(',')}]`;
  const members: string[] = [];
  for (const [key, member] of Object.entries(value))
    members.push(`${JSON.stringify(key)}:${stringifyWithBigInts(member)}`);
  return `{${members.join(',')}}`;
}

/**
 * Encodes a JSON object to compact text, or throws `SerializationError` naming the
 * first value that would not survive the trip (`field` starts the path). A bigint
 * within 64 bits is written as its exact integer.
 *
 * @example
 * encodeJsonObject({ order_id: 'ord_1' }, 'payload', 32); // '{"order_id":"ord_1"}'
 * encodeJsonObject({ user_id: 2n ** 63n - 1n }, 'payload', 32); // '{"user_id":9223372036854775807}'
 * encodeJsonObject({ total: NaN }, 'payload', 32); // throws: payload.total is NaN …
 */
export function encodeJsonObject(value: unknown, field: string, maxDepth: number): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(field, `must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeName(value)}`);
  }
  const walk: Walk = { maxDepth, ancestors: [], bigints: false };
  try {
    check(value, 1, walk);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    let path = field;
    for (const key of error.keys) path += typeof key === 'number' ? `[${key}]` : `.${key}`;
    fail(path, error.message, error.context);
  }
  return walk.bigints ? stringifyWithBigInts(value) : JSON.stringify(value);
}

// A deep copy of a value `check` passed: plain objects, arrays and primitives.
function copyChecked(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyChecked);
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) copy[key] = copyChecked(member);
  return copy;
}

/**
 * A copy of `value`, which `encodeJsonObject` encoded as `text`, that later changes
 * to `value` cannot reach: parsed from `text`, or, where `text` holds an integer
 * past ±(2^53 − 1) (a bigint) that parsing would round, copied from `value`.
 */
export function copyEncoded(text: string, value: unknown): JsonValue {
  return guardLargeIntegers(text, '', {}, 'string') === text
    ? (JSON.parse(text) as JsonValue)
    : (copyChecked(value) as JsonValue);
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
  return readJsonObject(text, field, where, largeIntegers).value;
}

/**
 * `decodeJsonObject`, with the text the value was read from: the stored text, or,
 * under `largeIntegers: 'string'`, the stored text with its unsafe integers quoted.
 * Either is valid JSON of the value, ready to splice into a frame as it is.
 */
export function readJsonObject(
  text: string,
  field: string,
  where: Record<string, unknown>,
  largeIntegers: LargeIntegers = 'error',
): { readonly value: JsonObject; readonly text: string } {
  let value = parseJsonObject(text, field, where);
  if (!holdsUnsafeInteger(value)) return { value, text };
  const exact = guardLargeIntegers(text, field, where, largeIntegers);
  if (exact !== text) value = parseJsonObject(exact, field, where);
  return { value, text: exact };
}

function parseJsonObject(text: string, field: string, where: Record<string, unknown>): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SerializationError(`${entryOf(where)}stored ${field} is not valid JSON: ${(error as Error).message}`, {
      context: { field, ...where },
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SerializationError(`${entryOf(where)}stored ${field} is not a JSON object`, {
      context: { field, ...where },
    });
  }
  return value as JsonObject;
}

// The entry an error names, when there is one (made only for an error: a read parses thousands).
const entryOf = (where: Record<string, unknown>): string =>
  typeof where.id === 'string' ? `stream entry ${where.id}: ` : '';

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
