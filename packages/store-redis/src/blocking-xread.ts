/**
 * @module
 * One blocking `XREAD` on a connection of the store's pool: under the store's
 * deadline (its block time plus the command timeout, so a silent server never
 * wedges a reader), ended by the caller's signal. A connection whose XREAD was
 * abandoned (deadline, abort) may still get its answer later: it is closed, never
 * reused. Used by a wait of its own (own-xread.ts) and by a raw stream's reader
 * (redis-raw-streams.ts), which takes the entries it returns.
 */

import type { Cursor } from '@replayrail/core';
import type { BlockingPool } from './blocking-pool.js';
import type { RunBlocking } from './wakeups.js';

/** A stream entry as Redis returns it: `[id, [field, value, …]]`. */
export type XreadEntry = [string, string[]];

export interface BlockingXread {
  readonly key: string;
  readonly after: Cursor;
  readonly blockMs: number;
  readonly count: number;
  readonly signal?: AbortSignal | undefined;
}

/** Where a blocking XREAD runs: the store's pool, under its deadlines. */
export interface BlockingReads {
  readonly pool: BlockingPool;
  readonly run: RunBlocking;
  /** What a read cut short by the store closing fails with (set once it closes). */
  closed(): unknown;
}

/**
 * The entries of `key` in an XREAD reply, in any of its shapes: nil (nothing came),
 * RESP2's `[[key, entries], …]`, or RESP3's map (a `Map`, a plain object, or a flat
 * `[key, entries, …]` array, depending on the client).
 */
export function entriesOf(reply: unknown, key: string): XreadEntry[] {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return (reply.get(key) as XreadEntry[] | undefined) ?? [];
  if (Array.isArray(reply)) {
    const nested = reply.find((item) => Array.isArray(item) && String(item[0]) === key);
    if (nested !== undefined) return (nested as [string, XreadEntry[]])[1];
    const at = reply.findIndex((item) => String(item) === key);
    return at === -1 ? [] : ((reply[at + 1] as XreadEntry[] | undefined) ?? []);
  }
  if (typeof reply === 'object')
    return ((reply as Record<string, XreadEntry[]>)[key] as XreadEntry[] | undefined) ?? [];
  return [];
}

/**
 * `XREAD BLOCK <blockMs> COUNT <count> STREAMS <key> <after>` on a pooled connection:
 * the entries after `after`, or none when `blockMs` passed first.
 */
export async function blockingXread(reads: BlockingReads, query: BlockingXread): Promise<XreadEntry[]> {
  const { key, after, blockMs, count, signal } = query;
  const connection = await reads.pool.acquireBounded((acquiring) => reads.run(acquiring, 'connect', 0, { key }));
  let reusable = false;
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.reason);
  });
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const xread = connection.send(
      ['XREAD', 'BLOCK', String(blockMs), 'COUNT', String(count), 'STREAMS', key, after],
      key,
    );
    const reply = await Promise.race([reads.run(xread, 'XREAD', blockMs, { key, after }), aborted]);
    reusable = true;
    return entriesOf(reply, key);
  } catch (error) {
    const closed = reads.closed();
    if (closed !== undefined) throw closed;
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (reusable) reads.pool.release(connection);
    else await reads.pool.discard(connection);
  }
}
