/**
 * @module
 * Request bodies in, response bodies out. A body is read only up to `maxBodyBytes`
 * (a declared length over it is refused unread: 413), then made into messages: in
 * JSON mode each value of a top-level array is one message, else the body is one
 * (PROTOCOL.md section 9.1). A message is kept as text when its stream carries text
 * and its bytes are valid UTF-8, else as base64 (`DurableMessage.base64`); reads turn
 * them back into the bytes, or into one JSON array.
 */

import { InvalidRequestError } from '@replayrail/core/errors';
import { readBodyWithin, requestChunks } from '@replayrail/core/protocol';
import type { DurableMessage } from '@replayrail/core/store';
import type { Context } from 'hono';
import { headerReader } from './context.js';
import { isJsonType, isTextType } from './headers.js';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** The request's body, at most `maxBytes` of it: 413 past that, before more is read. */
export function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  return readBodyWithin(
    requestChunks(c.env, () => c.req.raw.body),
    headerReader(c)('content-length'),
    maxBytes,
  );
}

/** Bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The messages of a body for a stream of `contentType` (normalized). In JSON mode a
 * top-level array is flattened one level; an empty one is no message on a create
 * (`allowEmptyArray`) and a 400 on an append; invalid JSON is a 400. Otherwise the
 * body is one message (none when it is empty).
 */
export function messagesOf(body: Uint8Array, contentType: string, allowEmptyArray: boolean): DurableMessage[] {
  if (isJsonType(contentType)) {
    if (body.byteLength === 0) return [];
    const text = utf8(body);
    if (text === undefined) throw new InvalidRequestError('a JSON body must be valid UTF-8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InvalidRequestError(`invalid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(value)) return [{ data: JSON.stringify(value), base64: false }];
    if (value.length === 0 && !allowEmptyArray) {
      throw new InvalidRequestError('an append of an empty JSON array appends nothing: send at least one value');
    }
    return value.map((item) => ({ data: JSON.stringify(item) ?? 'null', base64: false }));
  }
  if (body.byteLength === 0) return [];
  if (isTextType(contentType)) {
    const text = utf8(body);
    if (text !== undefined) return [{ data: text, base64: false }];
  }
  return [{ data: toBase64(body), base64: true }];
}

/** A message's bytes. */
export function bytesOf(message: DurableMessage): Uint8Array {
  return message.base64 ? fromBase64(message.data) : encoder.encode(message.data);
}

/** Messages' bytes, one after another: a catch-up body of a stream that is not JSON. */
export function concatBytes(messages: readonly DurableMessage[]): Uint8Array {
  if (messages.length === 1) return bytesOf(messages[0] as DurableMessage);
  const parts = messages.map(bytesOf);
  const bytes = new Uint8Array(parts.reduce((size, part) => size + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}

/** JSON messages as one JSON array (each message is one JSON value as stored). */
export function jsonArrayOf(messages: readonly DurableMessage[]): string {
  return `[${messages.map((message) => (message.base64 ? new TextDecoder().decode(bytesOf(message)) : message.data)).join(',')}]`;
}

/** How many bytes a message's data stands for (close enough for paging: base64 is 4 chars per 3 bytes). */
export function approximateSize(message: DurableMessage): number {
  return message.base64 ? Math.ceil((message.data.length * 3) / 4) : message.data.length;
}

// Base64 without Node's Buffer, so the routes run on any runtime Hono runs on.
const nodeBuffer = (
  globalThis as {
    Buffer?: {
      from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(encoding: string): string };
    };
  }
).Buffer;

/** Standard base64 (RFC 4648, with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  if (nodeBuffer !== undefined) return nodeBuffer.from(bytes).toString('base64');
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The bytes of standard base64. */
export function fromBase64(text: string): Uint8Array {
  if (nodeBuffer !== undefined) {
    const buffer = nodeBuffer.from(text, 'base64');
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
