/**
 * @module
 * zod → JSON Schema with zod's own converter (`z.toJSONSchema`), and the canonical
 * JSON and sha256 of a schema that the manifest records.
 */

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CodegenError } from './errors.js';

/** A JSON Schema as zod writes it: an object (or `true`/`false`). */
export type JsonSchema = boolean | { readonly [keyword: string]: unknown };

/**
 * A method's params (`io: 'input'`, what a caller sends) or result (`io: 'output'`,
 * what a handler returns) as JSON Schema. `where` names it in errors
 * (`arith.add params`).
 */
export function toJsonSchema(schema: unknown, io: 'input' | 'output', where: string): JsonSchema {
  try {
    // Types with no JSON form (dates, bigints, transforms on the output side) throw
    // here rather than turning into `{}`; reused schemas are inlined, cycles become $ref.
    return z.toJSONSchema(schema as z.ZodType, { io, unrepresentable: 'throw', reused: 'inline', cycles: 'ref' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CodegenError(
      `${where}: zod cannot convert this schema to JSON Schema (${reason}); is it a zod 4 schema?`,
    );
  }
}

/** JSON with object keys sorted and no spaces: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hex sha256 of a schema's canonical JSON. */
export function schemaHash(schema: JsonSchema): string {
  return createHash('sha256').update(canonicalJson(schema)).digest('hex');
}
