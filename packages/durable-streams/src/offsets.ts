/**
 * @module
 * Offsets: the protocol's opaque positions (PROTOCOL.md section 8), made from store
 * IDs. A store ID is `<ms>-<seq>`, two unsigned 64-bit decimals, which do not order as
 * strings (`9-0` sorts after `10-0`, and `1-9` after `1-10`); the protocol compares
 * offsets lexicographically. So each part is written fixed-width, zero-padded to the
 * 20 digits of 2^64 - 1, joined by `_`: as strings they order exactly as the IDs do.
 * `-1` (the start) and `now` (the tail) are the protocol's sentinels, never minted.
 */

import { isCursor } from '@replayrail/core/cursor';
import { InvalidRequestError } from '@replayrail/core/errors';

/** A store ID: `<ms>-<seq>`. */
type StoreId = string;

/** Digits of each part: 2^64 - 1 has 20. */
const WIDTH = 20;
const ZEROS = '0'.repeat(WIDTH);
const OFFSET = /^([0-9]{20})_([0-9]{20})$/;

/** The offset of the start of a stream (`0-0`, before its first message): what `-1` reads from. */
export const START_OFFSET = `${ZEROS}_${ZEROS}`;

/** An offset as a request names it: a position, the start, or the tail (`now`). */
export type RequestedOffset =
  | { readonly kind: 'after'; readonly id: StoreId }
  | { readonly kind: 'start' }
  | { readonly kind: 'now' };

function pad(part: string): string {
  return part.length >= WIDTH ? part : ZEROS.slice(part.length) + part;
}

/** The offset of a store ID, e.g. `1796582243338-12` → `00000001796582243338_00000000000000000012`. */
export function encodeOffset(id: StoreId): string {
  const dash = id.indexOf('-');
  return `${pad(id.slice(0, dash))}_${pad(id.slice(dash + 1))}`;
}

function unpad(part: string): string {
  const trimmed = part.replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}

/** The store ID an offset names, or undefined when it is not one this server minted (or could). */
export function decodeOffset(offset: string): StoreId | undefined {
  const match = OFFSET.exec(offset);
  if (match === null) return undefined;
  const id = `${unpad(match[1] as string)}-${unpad(match[2] as string)}`;
  // Both parts within 64 bits: a canonical cursor.
  return isCursor(id) ? id : undefined;
}

/**
 * The `offset` query parameter: absent or `-1` the start, `now` the tail, else an
 * offset this server minted. Anything else (empty, repeated, malformed) is a 400.
 */
export function parseOffsetParam(values: readonly string[]): RequestedOffset {
  if (values.length === 0) return { kind: 'start' };
  if (values.length > 1) throw new InvalidRequestError('offset may be given once');
  const value = values[0] as string;
  if (value === '-1') return { kind: 'start' };
  if (value === 'now') return { kind: 'now' };
  const id = decodeOffset(value);
  if (id === undefined) {
    const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
    throw new InvalidRequestError(
      `offset must be -1, now or an offset this server returned, got ${JSON.stringify(shown)}`,
    );
  }
  return { kind: 'after', id };
}
