/**
 * @module
 * The idempotency fingerprint, byte for byte the Python ReplayRail's: sha256 (hex)
 * of `json.dumps({channel, type, payload, actor, metadata, created_at},
 * ensure_ascii=False, sort_keys=True, separators=(",", ":"))`. With the same
 * fingerprint each library dedupes the other's retries (docs/architecture.md, "The envelope and the Redis layout").
 *
 * Known difference: Python tells `1.0` from `1`; JavaScript cannot, so a Python
 * float with an integral value fingerprints differently from the same JS number.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { JsonValue, NewEvent } from './types.js';

// Python sorts dict keys by code point; JavaScript's `<` compares UTF-16 units,
// which differs only where a surrogate (part of a character above U+FFFF) meets a
// unit in U+E000-U+FFFF: the surrogate's character is the greater one.
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate && (xSurrogate ? y : x) >= 0xe000) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

// Python's float repr uses an exponent below 1e-4 ("1e-05"), JavaScript's below 1e-6
// ("1e-7"); both print the shortest digits that round-trip, and for integers and
// values above 1e-4 the two agree.
function pythonNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1e-4) return String(value);
  const [mantissa, exponent = '+0'] = value.toExponential().split('e');
  const sign = exponent[0] === '-' ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

const SURROGATE = /[\ud800-\udfff]/;

// Keys in code point order: the native sort (UTF-16 order) is right unless a key
// holds a character above U+FFFF, which is rare; only then the slower comparison.
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value).sort();
  for (const key of keys) if (SURROGATE.test(key)) return keys.sort(compareCodePoints);
  return keys;
}

/** Python's `json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`. */
export function pythonJsonDumps(value: JsonValue): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return pythonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      // A published bigint (json.ts) is the int Python reads from its digits.
      return String(value);
  }
  if (value === null) return 'null';
  let text: string;
  if (Array.isArray(value)) {
    text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + pythonJsonDumps(value[i] as JsonValue);
    return `${text}]`;
  }
  text = '{';
  let first = true;
  for (const key of sortedKeys(value)) {
    text += `${first ? '' : ','}${JSON.stringify(key)}:${pythonJsonDumps(value[key] as JsonValue)}`;
    first = false;
  }
  return `${text}}`;
}

/** The content a fingerprint covers: the event without its event_id (the lookup key). */
export type FingerprintedContent = Pick<NewEvent, 'channel' | 'type' | 'payload' | 'actor' | 'metadata' | 'created_at'>;

/**
 * sha256 (hex) of the event's content in Python's canonical JSON.
 *
 * @example
 * eventFingerprint(event); // '3b1f…' (64 hex digits)
 */
export function eventFingerprint(event: FingerprintedContent): string {
  return sha256Hex(
    pythonJsonDumps({
      channel: event.channel,
      type: event.type,
      payload: event.payload,
      actor: event.actor,
      metadata: event.metadata,
      created_at: event.created_at,
    }),
  );
}

/**
 * sha256 of a text's UTF-8 bytes, in hex. `@noble/hashes`: audited, synchronous
 * (publish computes a fingerprint on its hot path), and the same in every runtime.
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
