/**
 * @module
 * The idempotency fingerprint, byte for byte the Python ReplayRail's: sha256 (hex)
 * of `json.dumps({channel, type, payload, actor, metadata, created_at},
 * ensure_ascii=False, sort_keys=True, separators=(",", ":"))`. With the same
 * fingerprint each library dedupes the other's retries (DESIGN §2).
 *
 * Known difference: Python tells `1.0` from `1`; JavaScript cannot, so a Python
 * float with an integral value fingerprints differently from the same JS number.
 */

import type { NewEvent } from './envelope.js';
import type { JsonValue } from './json.js';

// Python sorts dict keys by code point; JavaScript's default sort compares UTF-16
// units, which differs for characters above U+FFFF.
function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (char) => char.codePointAt(0) ?? 0);
  const right = Array.from(b, (char) => char.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}

// Python's float repr uses an exponent below 1e-4 ("1e-05"), JavaScript's below 1e-6
// ("1e-7"); both print the shortest digits that round-trip, and for integers and
// values above 1e-4 the two agree.
function pythonNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1e-4) return JSON.stringify(value);
  const [mantissa, exponent = '+0'] = value.toExponential().split('e');
  const sign = exponent[0] === '-' ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

/** Python's `json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`. */
export function pythonJsonDumps(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return pythonNumber(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(',')}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${pythonJsonDumps(value[key] as JsonValue)}`).join(',')}}`;
}

/** The content a fingerprint covers: the event without its event_id (the lookup key). */
export type FingerprintedContent = Pick<NewEvent, 'channel' | 'type' | 'payload' | 'actor' | 'metadata' | 'created_at'>;

/**
 * sha256 (hex) of the event's content in Python's canonical JSON.
 *
 * @example
 * await eventFingerprint(event); // '3b1f…' (64 hex digits)
 */
export async function eventFingerprint(event: FingerprintedContent): Promise<string> {
  const text = pythonJsonDumps({
    channel: event.channel,
    type: event.type,
    payload: event.payload,
    actor: event.actor,
    metadata: event.metadata,
    created_at: event.created_at,
  });
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  let hex = '';
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
