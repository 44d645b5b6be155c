/**
 * @module
 * The fork headers of a `PUT` (PROTOCOL.md section 4.2), parsed and checked:
 * `Stream-Forked-From` (the source's URL path, under this server's `streamsPath`),
 * `Stream-Fork-Offset` and `Stream-Fork-Sub-Offset`, each a 400 when malformed, before
 * the body is read or the store is asked. Pure functions of header values.
 */

import type { Cursor } from '@replayrail/core';
import { InvalidRequestError } from '@replayrail/core/errors';
import { pathUnder } from './context.js';
import { createContentType, type HeaderGetter } from './headers.js';

/** What a fork's `PUT` asks for, beyond a create's headers. */
export interface ForkHeaders {
  /** The source's stream path. */
  readonly source: string;
  /** The last source position inherited; null: the source's tail. */
  readonly offset: Cursor | null;
  /** Bytes (or JSON messages) past the offset; 0 is as if absent. */
  readonly subOffset: number;
  /** The `Content-Type` given; null inherits the source's. */
  readonly contentType: string | null;
}

// Two decimal parts: what this server mints (20 digits each), and the reference
// server's 16-digit zero offset, which clients send to fork from the start.
const OFFSET = /^([0-9]{1,20})_([0-9]{1,20})$/;
const SUB_OFFSET = /^(0|[1-9][0-9]*)$/;
const MAX_PART = (1n << 64n) - 1n;

function clip(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/** `Stream-Fork-Offset` as a store ID; a 400 when it is not two decimal parts of at most 64 bits. */
export function parseForkOffset(value: string): Cursor {
  const match = OFFSET.exec(value);
  const ms = match === null ? -1n : BigInt(match[1] as string);
  const seq = match === null ? -1n : BigInt(match[2] as string);
  if (ms < 0n || seq < 0n || ms > MAX_PART || seq > MAX_PART) {
    throw new InvalidRequestError(`Stream-Fork-Offset must be an offset this server returned, got ${clip(value)}`);
  }
  return `${ms}-${seq}`;
}

/** `Stream-Fork-Sub-Offset`: decimal digits without sign or leading zero, up to 2^53 - 1. */
export function parseForkSubOffset(value: string): number {
  const number = Number(value);
  if (!SUB_OFFSET.test(value) || !Number.isSafeInteger(number)) {
    throw new InvalidRequestError(
      `Stream-Fork-Sub-Offset must be a non-negative integer in decimal digits, got ${clip(value)}`,
    );
  }
  return number;
}

/** The source a `Stream-Forked-From` names: a path of this server's streams (a 400 for anything else). */
export function parseForkSource(value: string, streamsPath: string): string {
  let url: URL | undefined;
  if (value.startsWith('/')) {
    try {
      url = new URL(value, 'http://source.invalid');
    } catch {
      url = undefined;
    }
  }
  const source = url === undefined ? undefined : pathUnder(url.href, streamsPath);
  if (source === undefined) {
    throw new InvalidRequestError(
      `Stream-Forked-From must be the path of a stream of this server, under ${streamsPath}/, got ${clip(value)}`,
    );
  }
  return source;
}

/**
 * The fork headers of a `PUT`, or null when it is no fork. `Stream-Fork-Offset` or
 * `Stream-Fork-Sub-Offset` without `Stream-Forked-From` is a 400 (they require it).
 */
export function parseForkHeaders(header: HeaderGetter, streamsPath: string): ForkHeaders | null {
  const from = header('stream-forked-from');
  const offset = header('stream-fork-offset');
  const subOffset = header('stream-fork-sub-offset');
  if (from === undefined) {
    if (offset !== undefined || subOffset !== undefined) {
      throw new InvalidRequestError('Stream-Fork-Offset and Stream-Fork-Sub-Offset need Stream-Forked-From');
    }
    return null;
  }
  const type = header('content-type');
  return {
    source: parseForkSource(from, streamsPath),
    offset: offset === undefined ? null : parseForkOffset(offset),
    subOffset: subOffset === undefined ? 0 : parseForkSubOffset(subOffset),
    contentType: type === undefined || type.trim() === '' ? null : createContentType(type),
  };
}
