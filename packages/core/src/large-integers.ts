/**
 * @module
 * Integers outside ±(2^53 − 1) in stored JSON. Python (and Go, Java, SQL IDs)
 * writes any 64-bit integer; `JSON.parse` rounds one past 2^53 to the nearest
 * double without a word (`9007199254740993` becomes `9007199254740992`). The only
 * value in the layout that could change silently, so it is found before parsing:
 * an error naming the entry and the JSON path, or, when the application asks, the
 * integer read as a string of its exact digits.
 */

import { SerializationError } from './errors.js';
import { choiceOption } from './options.js';

/**
 * What decoding does with an integer outside ±(2^53 − 1): `'error'` raises
 * `SerializationError` naming the entry and the JSON path; `'string'` reads it as
 * the string of its digits (`"9007199254740993"`), exactly.
 */
export type LargeIntegers = 'error' | 'string';

/** 2^53 − 1, the largest integer a double holds exactly along with all below it: 16 digits. */
const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER);

// Any integer literal past the safe range has 16 or more digits in a row; text
// without such a run (nearly all of it) needs no scan at all.
const LONG_DIGIT_RUN = /\d{16}/;

// A JSON number token at a position (sticky), and the pieces that make it a float.
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING_END = /(?:[^"\\]|\\.)*"/y;

function isUnsafeInteger(digits: string): boolean {
  return (
    digits.length > MAX_SAFE_DIGITS.length || (digits.length === MAX_SAFE_DIGITS.length && digits > MAX_SAFE_DIGITS)
  );
}

// Where the scan is: one frame per open object or array.
type Frame = { array: true; index: number } | { array: false; key: string | undefined; expectKey: boolean };

function pathOf(field: string, stack: readonly Frame[]): string {
  let path = field;
  for (const frame of stack) path += frame.array ? `[${frame.index}]` : `.${frame.key ?? ''}`;
  return path;
}

/**
 * `text` ready for `JSON.parse` without a silent change: unchanged when it holds no
 * integer outside the safe range; with such integers quoted under `'string'`;
 * a `SerializationError` under `'error'`. Text that is not JSON is returned as it is,
 * for `JSON.parse` to refuse with its own message.
 */
export function guardLargeIntegers(
  text: string,
  field: string,
  where: Readonly<Record<string, unknown>>,
  mode: LargeIntegers,
): string {
  if (!LONG_DIGIT_RUN.test(text)) return text;
  const stack: Frame[] = [];
  // Under 'string', the text rebuilt with each unsafe integer quoted.
  let out = '';
  let copiedTo = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x22 /* " */) {
      STRING_END.lastIndex = i + 1;
      if (STRING_END.exec(text) === null) return text;
      const end = STRING_END.lastIndex;
      if (top !== undefined && !top.array && top.expectKey) {
        top.key = JSON.parse(text.slice(i, end)) as string;
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (match === null) {
        i++; // `-Infinity` and other non-JSON: JSON.parse will say so
        continue;
      }
      const token = match[0];
      const integer = match[1] === undefined && match[2] === undefined;
      if (integer && isUnsafeInteger(token.startsWith('-') ? token.slice(1) : token)) {
        const path = pathOf(field, stack);
        if (mode === 'error') {
          const entry = typeof where.id === 'string' ? `stream entry ${where.id}: ` : '';
          throw new SerializationError(
            `${entry}stored ${path} is ${token}, an integer outside ±(2^53 − 1) that JavaScript would round to ${String(Number(token))}; read such integers as strings with largeIntegers: 'string'`,
            { context: { ...where, field, path, value: token } },
          );
        }
        out += `${text.slice(copiedTo, i)}"${token}"`;
        copiedTo = i + token.length;
      }
      i += token.length;
    } else if (c === 0x7b /* { */) {
      stack.push({ array: false, key: undefined, expectKey: true });
      i++;
    } else if (c === 0x5b /* [ */) {
      stack.push({ array: true, index: 0 });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      if (top?.array) top.index++;
      else if (top !== undefined) top.expectKey = true;
      i++;
    } else i++; // whitespace, ':', true / false / null, and anything JSON.parse will refuse
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}

/**
 * Whether a parsed JSON value holds a number that is an integer outside ±(2^53 − 1):
 * where its text had an unsafe integer literal, parsing left such a number. Walking
 * what was parsed costs a fifth of searching the text for a 16-digit run, and nearly
 * every value holds none; only then is the text scanned (`guardLargeIntegers`), which
 * also tells an integer literal from a float one of the same value (`1e20`).
 */
export function holdsUnsafeInteger(value: unknown): boolean {
  try {
    return walkForUnsafe(value);
  } catch {
    return true; // nested past the call stack: let the text scan, which keeps its own stack, decide
  }
}

function walkForUnsafe(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isSafeInteger(value) && Number.isInteger(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const member of value) if (walkForUnsafe(member)) return true;
    return false;
  }
  for (const key in value) if (walkForUnsafe((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** Checks a store's `largeIntegers` option, naming the store when it is wrong. */
export function largeIntegersOption(value: unknown, store: string): LargeIntegers {
  return choiceOption(store, 'largeIntegers', value, ['error', 'string'], 'error');
}
