/**
 * @module
 * What both stores share of forks (`DurableStreamStore.fork`, docs/durable-streams.md,
 * "Forks"): the checks of a fork's request, the expiry a fork gets, the bytes of a
 * binary sub-offset, and the error a deleted stream's tombstone answers with, so that
 * the memory and Redis stores fork, refuse and answer alike.
 */

import { parseCursor } from '../cursor.js';
import { InvalidRequestError, ReplayWindowExpiredError } from '../errors.js';
import { assertDurableRef } from './durable-stream-checks.js';
import type { DurableFork, DurableMessage, DurableStreamConfig } from './durable-stream-store.js';

/** The most messages a fork copies unless told otherwise (`DurableFork.maxMessages`). */
export const DEFAULT_MAX_FORK_MESSAGES = 100_000;

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** A source path as any path is checked, an offset that is a cursor, counts in range, not both a TTL and an expiry. */
export function assertDurableFork(request: DurableFork): void {
  assertDurableRef({ prefix: '', path: request.source });
  if (request.offset !== null) parseCursor(request.offset);
  const { subOffset, maxMessages, ttlSeconds, expiresAt } = request;
  if (!isCount(subOffset) || !isCount(maxMessages) || maxMessages < 1) {
    throw new InvalidRequestError("a fork's subOffset must be an integer ≥ 0 and its maxMessages ≥ 1", {
      context: { sub_offset: subOffset, max_messages: maxMessages },
    });
  }
  if (ttlSeconds !== null && expiresAt !== null) {
    throw new InvalidRequestError('a fork has a TTL or an expiry, not both', { context: {} });
  }
}

/**
 * The fork's TTL or expiry (PROTOCOL.md section 4.2): its own when it asks for one,
 * else the source's. Never capped by the source's: a fork may outlive it.
 */
export function forkExpiry(
  request: Pick<DurableFork, 'ttlSeconds' | 'expiresAt'>,
  source: Pick<DurableStreamConfig, 'ttlSeconds' | 'expiresAt'>,
): Pick<DurableStreamConfig, 'ttlSeconds' | 'expiresAt'> {
  if (request.ttlSeconds !== null || request.expiresAt !== null) {
    return { ttlSeconds: request.ttlSeconds, expiresAt: request.expiresAt };
  }
  return { ttlSeconds: source.ttlSeconds, expiresAt: source.expiresAt };
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

function bytesOf(message: DurableMessage): Uint8Array {
  if (!message.base64) return encoder.encode(message.data);
  const binary = atob(message.data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function base64Of(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** How many bytes a message holds (its text as UTF-8, or what its base64 decodes to). */
export function messageByteLength(message: DurableMessage): number {
  if (!message.base64) return encoder.encode(message.data).byteLength;
  const padding = message.data.endsWith('==') ? 2 : message.data.endsWith('=') ? 1 : 0;
  return (message.data.length / 4) * 3 - padding;
}

/**
 * The first `length` bytes of a message, as a message: text when the message was text
 * and the cut falls between characters, else base64 (a cut inside a character leaves
 * bytes that are not UTF-8, which only base64 keeps exactly).
 */
export function messagePrefix(message: DurableMessage, length: number): DurableMessage {
  const prefix = bytesOf(message).subarray(0, length);
  if (!message.base64) {
    try {
      return { data: strictDecoder.decode(prefix), base64: false };
    } catch {
      // Cut inside a character: kept as base64 below.
    }
  }
  return { data: base64Of(prefix), base64: true };
}

/**
 * What every call but `create` throws for a stream deleted while it had forks (the
 * protocol's `410 Gone` for a soft-deleted stream): its history is gone for its own
 * path, though its forks keep their copies.
 */
export function deletedStreamError(path: string): ReplayWindowExpiredError {
  return new ReplayWindowExpiredError(
    `durable stream ${path} was deleted; its forks keep what they inherited, and its path stays taken until they are deleted`,
    { context: { channel: path, reason: 'deleted' } },
  );
}
