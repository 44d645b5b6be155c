/**
 * @module
 * Safe JSON for payload, actor and metadata. `JSON.stringify` silently turns NaN
 * into null, drops `undefined`, functions and symbol keys, flattens Maps to `{}`
 * and throws an unhelpful TypeError on BigInt and cycles; an audit log must lose
 * nothing, so every one of those is a `SerializationError` naming the path.
 */

import { SerializationError } from './errors.js';

/** A JSON value as it round-trips through `JSON.parse`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object: what payload, actor and metadata must be. */
export type JsonObject = { [key: string]: JsonValue };

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

// Walks the value once, rejecting anything JSON.stringify would change. `ancestors`
// holds the objects on the current path, so a cycle is found and a shared (non-
// cyclic) sub-object is still allowed. Depth counts objects and arrays, the root at 1.
function check(value: unknown, path: string, depth: number, maxDepth: number, ancestors: object[]): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `is ${value}, which JSON cannot represent`);
      return;
    case 'object':
      break;
    default:
      // undefined, bigint, function, symbol
      fail(path, `is ${typeName(value)}, which is not a JSON value`);
  }
  if (value === null) return;
  if (depth > maxDepth) fail(path, `nests deeper than the limit of ${maxDepth} levels`, { maxDepth });
  if (ancestors.includes(value)) fail(path, 'refers back to itself (a cycle)');
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) fail(`${path}[${i}]`, 'is a hole in a sparse array');
      check(value[i], `${path}[${i}]`, depth + 1, maxDepth, ancestors);
    }
  } else {
    if (!isPlainObject(value)) {
      fail(
        path,
        `is a ${typeName(value)}; only plain objects, arrays, strings, finite numbers, booleans and null are stored`,
      );
    }
    if (Object.getOwnPropertySymbols(value).length > 0) fail(path, 'has symbol keys, which JSON drops');
    for (const key of Object.keys(value)) {
      check((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, maxDepth, ancestors);
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
  check(value, field, 1, maxDepth, []);
  return JSON.stringify(value);
}

/**
 * Parses stored JSON text that must be an object. `where` names the entry in the
 * error, so an undecodable entry (Python writes a bare `NaN`) is never dropped in silence.
 */
export function decodeJsonObject(text: string, field: string, where: Record<string, unknown>): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
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
