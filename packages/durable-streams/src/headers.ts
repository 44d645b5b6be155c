/**
 * @module
 * The protocol's request headers, parsed and checked (PROTOCOL.md sections 4.1, 5.1,
 * 5.2 and 5.2.1): every malformed value is a 400 before the body is read or the store
 * is asked. Pure functions of header values, so each rule is tested on its own.
 */

import { InvalidRequestError } from '@replayrail/core/errors';
import { normaliseContentType, type ProducerClaim } from '@replayrail/core/store';

/** A way to read a request header: undefined when absent. */
export type HeaderGetter = (name: string) => string | undefined;

/** The content type a stream gets when its `PUT` names none (or an unusable one). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

// type "/" subtype, as the reference server accepts them: anything else is replaced by the default.
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+/;

/**
 * The media type of a content type, lower case and without parameters:
 * `Application/JSON; charset=utf-8` → `application/json`. What two content types are
 * compared by: the stores' own rule (core's `normaliseContentType`).
 */
export function normalizeContentType(contentType: string): string {
  return normaliseContentType(contentType);
}

/** Whether a stream of this (normalized) type is JSON mode (PROTOCOL.md section 9.1). */
export function isJsonType(normalized: string): boolean {
  return normalized === 'application/json';
}

/** Whether a stream of this (normalized) type carries text: `text/*` or JSON (SSE sends it as is, section 5.8). */
export function isTextType(normalized: string): boolean {
  return normalized.startsWith('text/') || isJsonType(normalized);
}

/** The content type of a create: as given when it is a media type, else the default. */
export function createContentType(header: string | undefined): string {
  const trimmed = header?.trim() ?? '';
  return MEDIA_TYPE.test(trimmed) ? trimmed : DEFAULT_CONTENT_TYPE;
}

/**
 * `Stream-Closed`: present only when exactly `true`, in any case (section 4.1). Any
 * other value is as if the header were absent, never an error.
 */
export function parseStreamClosed(header: string | undefined): boolean {
  return header !== undefined && header.trim().toLowerCase() === 'true';
}

const TTL = /^(0|[1-9][0-9]*)$/;
// RFC 3339 date-time: full date, `T` (or `t`, or a space), time with optional fraction, and a zone.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A stream's expiry as a create asks for it. */
export interface Expiry {
  readonly ttlSeconds: number | null;
  readonly expiresAt: number | null;
}

/**
 * `Stream-TTL` (decimal digits only: no sign, leading zero, fraction or exponent) and
 * `Stream-Expires-At` (an RFC 3339 time with a zone); both at once is a 400.
 */
export function parseExpiry(ttlHeader: string | undefined, expiresAtHeader: string | undefined): Expiry {
  if (ttlHeader !== undefined && expiresAtHeader !== undefined) {
    throw new InvalidRequestError('Stream-TTL and Stream-Expires-At cannot both be given');
  }
  let ttlSeconds: number | null = null;
  if (ttlHeader !== undefined) {
    if (!TTL.test(ttlHeader)) {
      throw new InvalidRequestError(
        `Stream-TTL must be a non-negative integer in decimal digits, got ${JSON.stringify(clip(ttlHeader))}`,
      );
    }
    ttlSeconds = Number(ttlHeader);
    if (!Number.isSafeInteger(ttlSeconds)) {
      throw new InvalidRequestError(`Stream-TTL is too large, got ${JSON.stringify(clip(ttlHeader))}`);
    }
  }
  let expiresAt: number | null = null;
  if (expiresAtHeader !== undefined) {
    expiresAt = parseRfc3339(expiresAtHeader);
    if (expiresAt === null) {
      throw new InvalidRequestError(
        `Stream-Expires-At must be an RFC 3339 time with a zone, got ${JSON.stringify(clip(expiresAtHeader))}`,
      );
    }
  }
  return { ttlSeconds, expiresAt };
}

/** Epoch ms of an RFC 3339 date-time, or null when it is not one (or names no real date). */
export function parseRfc3339(value: string): number | null {
  const match = RFC3339.exec(value);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  if (
    (month as number) < 1 ||
    (month as number) > 12 ||
    (day as number) < 1 ||
    (day as number) > daysIn(year as number, month as number) ||
    (hour as number) > 23 ||
    (minute as number) > 59 ||
    // RFC 3339 allows a leap second (`:60`); Date cannot represent one, so it is refused.
    (second as number) > 59
  ) {
    return null;
  }
  const zone = match[8] as string;
  if (zone !== 'Z' && zone !== 'z') {
    const [zh, zm] = zone.slice(1).split(':').map(Number) as [number, number];
    if (zh > 23 || zm > 59) return null;
  }
  const ms = Date.parse(value.replace(/^(.{10})[t ]/, '$1T').replace(/z$/, 'Z'));
  return Number.isFinite(ms) ? ms : null;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Decimal digits (leading zeros allowed, as the reference server allows them); at most 2^53 - 1 (section 5.2.1). */
const PRODUCER_INTEGER = /^[0-9]{1,32}$/;

function producerInteger(name: string, value: string): number {
  const number = Number(value);
  if (!PRODUCER_INTEGER.test(value) || !Number.isSafeInteger(number)) {
    throw new InvalidRequestError(
      `${name} must be a non-negative integer up to 2^53 - 1, got ${JSON.stringify(clip(value))}`,
    );
  }
  return number;
}

/**
 * `Producer-Id`, `Producer-Epoch` and `Producer-Seq`: all three or none (a 400
 * otherwise), a non-empty ID, integers up to 2^53 - 1.
 */
export function parseProducer(
  id: string | undefined,
  epoch: string | undefined,
  seq: string | undefined,
): ProducerClaim | null {
  if (id === undefined && epoch === undefined && seq === undefined) return null;
  if (id === undefined || epoch === undefined || seq === undefined) {
    throw new InvalidRequestError('Producer-Id, Producer-Epoch and Producer-Seq go together: send all three or none');
  }
  if (id === '') throw new InvalidRequestError('Producer-Id must not be empty');
  return { id, epoch: producerInteger('Producer-Epoch', epoch), seq: producerInteger('Producer-Seq', seq) };
}

/** The headers of a `PUT`, checked. */
export interface CreateHeaders extends Expiry {
  readonly contentType: string;
  readonly closed: boolean;
}

export function parseCreateHeaders(header: HeaderGetter): CreateHeaders {
  const expiry = parseExpiry(header('stream-ttl'), header('stream-expires-at'));
  return {
    contentType: createContentType(header('content-type')),
    closed: parseStreamClosed(header('stream-closed')),
    ...expiry,
  };
}

/** The headers of a `POST`, checked. */
export interface AppendHeaders {
  /** The request's content type, normalized; null when absent. */
  readonly contentType: string | null;
  readonly close: boolean;
  readonly streamSeq: string | null;
  readonly producer: ProducerClaim | null;
}

export function parseAppendHeaders(header: HeaderGetter): AppendHeaders {
  const type = header('content-type');
  return {
    contentType: type === undefined || type.trim() === '' ? null : normalizeContentType(type),
    close: parseStreamClosed(header('stream-closed')),
    streamSeq: header('stream-seq') ?? null,
    producer: parseProducer(header('producer-id'), header('producer-epoch'), header('producer-seq')),
  };
}

function clip(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}
