/**
 * @module
 * How a live read waits for appends. A read with `blockMs` reads a page through
 * the expiry check; while the page holds nothing, it waits for a wake-up and reads
 * again (`readLive`, the one loop for the store's reads and the groups' alike).
 * A wake-up only says "read again": the woken read goes through the checked page
 * (an XREAD alone would skip entries trimmed between two reads), so a late,
 * spurious or lost wake-up can delay an entry, never lose or repeat one, and a
 * wait that hears nothing still ends after its `blockMs`.
 *
 * Three implementations, one per value of the store's `wakeups` option, chosen
 * once per store (wakeups-option.ts): a blocking XREAD shared by every channel
 * (stream-watcher.ts), sharded pub/sub (shard-wakeups.ts), or a blocking XREAD of
 * each wait's own (own-xread.ts). The package README ("Live reads") compares them.
 */

import type { Cursor } from '@replayrail/core';

/**
 * Waits, after a page that held nothing, until the watched key may hold an entry
 * after `after`, or `blockMs` passed; rejects with the signal's reason on abort.
 */
export type Wait = (after: Cursor, blockMs: number, signal: AbortSignal | undefined) => Promise<void>;

/** One way for live reads to wait. */
export interface Wakeups {
  /** Whether each append must also `SPUBLISH` its ID on the stream's wake channel (`wakeChannel`). */
  readonly publishes: boolean;
  /** Subscriber connections it holds (the blocking XREADs' connections are the store's pool). */
  readonly subscriberConnections: number;
  /**
   * Starts watching `key`. Called before the page a wait follows is read, so an
   * append after that read ends the wait even if it lands before the wait begins.
   */
  watch(key: string): Promise<Wait>;
  /** Fails or ends every wait; later ones fail with `error` (the store is closing). */
  close(error: unknown): void;
}

/** Runs a command of a wake-up under the store's deadline: its command timeout plus `blockMs`. */
export type RunBlocking = (
  command: Promise<unknown>,
  operation: string,
  blockMs: number,
  context: Record<string, unknown>,
) => Promise<unknown>;

/** What a live read needs of its query. */
export interface LiveQuery {
  readonly blockMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** A page a live read read: what to return, whether to return it now, and what a wait waits past. */
export interface LivePage<T> {
  readonly result: T;
  /** It holds something (entries, or news of lost ones): return it without waiting. */
  readonly found: boolean;
  /** The last entry the page accounts for: an entry after it ends the wait. */
  readonly after: Cursor;
}

/**
 * Reads a page; while it finds nothing and `blockMs` has not run out, waits for a
 * wake-up and reads again. The wake-ups are asked for only when the read may wait.
 */
export async function readLive<T>(
  wakeups: { get(): Promise<Wakeups> },
  key: string,
  query: LiveQuery,
  readPage: () => Promise<LivePage<T>>,
): Promise<T> {
  query.signal?.throwIfAborted();
  if (query.blockMs <= 0) return (await readPage()).result;
  const deadline = Date.now() + query.blockMs;
  const waiting = await wakeups.get();
  for (;;) {
    // Watched before the page is read: an append after the read then ends the wait.
    const wait = await waiting.watch(key);
    const page = await readPage();
    const remaining = deadline - Date.now();
    if (page.found || remaining <= 0) return page.result;
    await wait(page.after, remaining, query.signal);
  }
}
