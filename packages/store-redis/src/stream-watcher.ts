/**
 * @module
 * Wake-ups by one blocking XREAD for the waits of every channel (`wakeups:
 * 'shared-xread'`, the default on one server). A wait only waits here for "an
 * entry after this cursor exists" (wakeups.ts). Waiting one XREAD per channel
 * would hold one connection per busy channel, and with more busy channels than
 * the pool has connections, a channel could wait seconds for its turn. So all
 * waits share one `XREAD BLOCK … STREAMS k1 k2 … id1 id2 …`; when a wait on a key
 * not in the running XREAD arrives, the XREAD is cut short (CLIENT UNBLOCK) and
 * issued again with it. Any writer's XADD wakes it. A cluster cannot read keys of
 * several slots in one XREAD, so the option is refused there (wakeups-option.ts).
 */

import { type Cursor, compareCursors } from '@replayrail/core';
import type { BlockingPool } from './blocking-pool.js';
import type { RedisConnection } from './connection.js';
import type { RunBlocking, Wait, Wakeups } from './wakeups.js';

interface Blocked {
  readonly clientId: string;
  readonly positions: ReadonlyMap<string, Cursor>;
  /** When the XREAD returns by itself. */
  readonly until: number;
}

interface Waiter {
  key: string;
  after: Cursor;
  deadline: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The keys an XREAD reply holds entries for, in any of its shapes: RESP2's
 * `[[key, entries], …]`, RESP3's map (a `Map`, a plain object, or a flat
 * `[key, entries, key, entries]` array, depending on the client), or nil.
 */
export function keysOf(reply: unknown): string[] {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return [...reply.keys()].map(String);
  if (Array.isArray(reply)) {
    if (reply.every((item) => Array.isArray(item))) return reply.map((item) => String((item as unknown[])[0]));
    return reply.filter((_, index) => index % 2 === 0).map(String);
  }
  if (typeof reply === 'object') return Object.keys(reply);
  return [];
}

export class StreamWatcher implements Wakeups {
  readonly publishes = false;
  readonly subscriberConnections = 0;
  readonly #pool: BlockingPool;
  readonly #main: RedisConnection;
  readonly #run: RunBlocking;
  readonly #waiters = new Set<Waiter>();
  // The running XREAD: its connection's client ID, and the positions it waits on.
  #blocked: Blocked | undefined;
  #looping = false;
  #unblockQueued = false;
  readonly #clientIds = new WeakMap<RedisConnection, string>();

  constructor(pool: BlockingPool, main: RedisConnection, run: RunBlocking) {
    this.#pool = pool;
    this.#main = main;
    this.#run = run;
  }

  // Nothing to set up: the XREAD reads from the wait's cursor, so it sees what the page missed.
  async watch(key: string): Promise<Wait> {
    return (after, blockMs, signal) => this.#wait(key, after, blockMs, signal);
  }

  /** Fails every wait (the store is closing). */
  close(error: unknown): void {
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
  }

  // Resolves once `key` may hold an entry after `after`, or after `blockMs`.
  #wait(key: string, after: Cursor, blockMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { key, after, deadline: Date.now() + blockMs, resolve, reject };
      const onAbort = () => {
        this.#waiters.delete(waiter);
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      waiter.resolve = () => {
        done();
        resolve();
      };
      waiter.reject = (error) => {
        done();
        reject(error);
      };
      this.#waiters.add(waiter);
      // The running XREAD covers this wait only if it waits on this key from this
      // cursor or an earlier one, and returns by this wait's deadline (a read with
      // a short blockMs must not wait out a feed's long one); otherwise it is cut
      // short and issued again.
      const blocked = this.#blocked;
      const position = blocked?.positions.get(key);
      if (position === undefined || compareCursors(position, after) > 0 || waiter.deadline < (blocked?.until ?? 0)) {
        this.#interrupt();
      }
      void this.#loop();
    });
  }

  // Cuts the running XREAD short, once per turn however many waits arrived.
  #interrupt(): void {
    if (this.#blocked === undefined || this.#unblockQueued) return;
    this.#unblockQueued = true;
    queueMicrotask(() => {
      this.#unblockQueued = false;
      if (this.#blocked !== undefined) void this.#unblock(this.#blocked);
    });
  }

  // CLIENT UNBLOCK goes over another connection, so it may reach Redis before the
  // XREAD it is meant for: until it unblocks something (1), it is sent again, as
  // long as that XREAD is still the running one. An unblocked XREAD answers nil.
  async #unblock(blocked: Blocked): Promise<void> {
    for (let attempt = 0; attempt < 100 && this.#blocked === blocked; attempt++) {
      const unblocked = await this.#main.send(['CLIENT', 'UNBLOCK', blocked.clientId]).catch(() => 0);
      if (Number(unblocked) === 1) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  async #loop(): Promise<void> {
    if (this.#looping) return;
    this.#looping = true;
    try {
      while (this.#waiters.size > 0) await this.#round();
    } catch (error) {
      // No connection to wait on (the pool is closed): every wait fails with why.
      for (const waiter of this.#waiters) waiter.reject(error);
      this.#waiters.clear();
    } finally {
      this.#looping = false;
    }
  }

  // One XREAD over every waited key, each from the earliest cursor waited on.
  async #round(): Promise<void> {
    // Under the command deadline, like CLIENT ID below: a server gone silent fails
    // the waits (the store's callers retry) instead of holding them forever.
    const connection = await this.#pool.acquireBounded((acquiring) => this.#run(acquiring, 'connect', 0, {}));
    let reusable = false;
    let positions = new Map<string, Cursor>();
    try {
      const clientId = await this.#clientId(connection);
      // Taken now, in the same step as the XREAD is sent: a wait that arrives later
      // finds `#blocked` set and cuts this XREAD short if it is not covered.
      let blockMs: number;
      [positions, blockMs] = this.#positions();
      if (positions.size === 0) {
        reusable = true;
        return;
      }
      const blocked: Blocked = { clientId, positions, until: Date.now() + blockMs };
      this.#blocked = blocked;
      const keys = [...positions.keys()];
      const ids = keys.map((key) => positions.get(key) as Cursor);
      const command = connection.send(['XREAD', 'BLOCK', String(blockMs), 'COUNT', '1', 'STREAMS', ...keys, ...ids]);
      const reply = await this.#run(command, 'XREAD', blockMs, {});
      reusable = true;
      // Wake every wait on a key that has an entry after the position read from;
      // a wait on a later cursor that wakes for nothing simply waits again.
      const woken = new Set(keysOf(reply));
      for (const waiter of this.#waiters) {
        if (!woken.has(waiter.key)) continue;
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    } catch (error) {
      // The XREAD failed: its waits fail. Failing before it was sent (its connection's
      // CLIENT ID got no answer), it fails every wait: none would be served otherwise.
      for (const waiter of this.#waiters) {
        if (positions.size > 0 && !positions.has(waiter.key)) continue;
        this.#waiters.delete(waiter);
        waiter.reject(error);
      }
    } finally {
      this.#blocked = undefined;
      // An abandoned XREAD may still answer later: never reuse its connection.
      if (reusable) this.#pool.release(connection);
      else await this.#pool.discard(connection);
    }
  }

  // Where to read each waited key from (its earliest waited cursor), and for how
  // long (until the first wait's deadline); waits past their deadline resolve.
  #positions(): [Map<string, Cursor>, number] {
    const now = Date.now();
    const positions = new Map<string, Cursor>();
    let blockMs = Number.POSITIVE_INFINITY;
    for (const waiter of this.#waiters) {
      if (waiter.deadline <= now) {
        this.#waiters.delete(waiter);
        waiter.resolve(); // timed out: the read looks once more and returns
        continue;
      }
      const position = positions.get(waiter.key);
      if (position === undefined || compareCursors(waiter.after, position) < 0) positions.set(waiter.key, waiter.after);
      blockMs = Math.min(blockMs, waiter.deadline - now);
    }
    return [positions, Math.max(1, Math.ceil(blockMs))];
  }

  async #clientId(connection: RedisConnection): Promise<string> {
    let id = this.#clientIds.get(connection);
    if (id === undefined) {
      id = String(await this.#run(connection.send(['CLIENT', 'ID']), 'CLIENT ID', 0, {}));
      this.#clientIds.set(connection, id);
    }
    return id;
  }
}
