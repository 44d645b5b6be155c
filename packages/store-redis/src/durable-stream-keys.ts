/**
 * @module
 * What the durable-stream scripts share with the code that calls them
 * (redis-durable-streams.ts, redis-durable-forks.ts): a stream's keys, all in one slot,
 * in the order the scripts take them; the info as their replies carry it; and the
 * arguments every append passes (retention, messages).
 */

import type { Cursor } from '@replayrail/core';
import type { DurableMessage, DurableRetention, DurableStreamInfo, DurableStreamRef } from '@replayrail/core/store';
import type { StoreHost } from './store-host.js';
import type { Wakeups } from './wakeups.js';

/** What durable streams need from their store. */
export interface DurableStreamsHost extends StoreHost {
  /** How live reads wait (wakeups.ts), chosen once per store. */
  wakeups(): Promise<Wakeups>;
  /** The wake channel of `key` an append must `SPUBLISH` on, or undefined when readers do not wait that way. */
  wakeChannel(key: string): Promise<string | undefined>;
}

/** The Redis keys of a durable stream, in one slot: its messages, info, producers, signal and forks. */
export function durableStreamKeys(ref: DurableStreamRef): {
  messages: string;
  info: string;
  producers: string;
  signal: string;
  forks: string;
} {
  // Encoded, so the hash tag holds the whole path whatever braces it has.
  const base = `${ref.prefix}:ds:{${encodeURIComponent(ref.path)}}`;
  return {
    messages: `${base}:m`,
    info: `${base}:i`,
    producers: `${base}:p`,
    signal: `${base}:s`,
    forks: `${base}:f`,
  };
}

/** The keys as every durable-stream script takes them (KEYS[1] … KEYS[5]). */
export const keyList = (keys: ReturnType<typeof durableStreamKeys>): string[] => [
  keys.messages,
  keys.info,
  keys.producers,
  keys.signal,
  keys.forks,
];

/** The reply's info fields (id, ct, ttl, exp, closed, tail), from `at`. */
export function infoOf(reply: readonly unknown[], at: number): DurableStreamInfo {
  const [id, contentType, ttl, expiresAt, closed, tail] = reply.slice(at, at + 6).map(String);
  return {
    id: id as string,
    contentType: contentType as string,
    ttlSeconds: ttl === '' ? null : Number(ttl),
    expiresAt: expiresAt === '' ? null : Number(expiresAt),
    closed: closed === '1',
    tail: tail as Cursor,
  };
}

/** maxlen ('' none), '1' for `~`, max age ms ('' none). */
export function retentionArgs(retention: DurableRetention): string[] {
  return [
    retention.maxLength === null ? '' : String(retention.maxLength),
    '1',
    retention.maxAgeMs === null ? '' : String(retention.maxAgeMs),
  ];
}

/** Each message as its data, then '1' when it is base64. */
export function messageArgs(messages: readonly DurableMessage[]): string[] {
  return messages.flatMap((message) => [message.data, message.base64 ? '1' : '']);
}
