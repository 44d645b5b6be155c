/**
 * @module
 * Wake-ups by a blocking XREAD of each wait's own, on a connection from the
 * store's pool (`wakeups: 'own-xread'`; what a cluster before Redis 7.0 uses).
 * Any writer's XADD wakes it, and it works wherever XREAD does, but each waiting
 * read holds a connection: reads beyond the pool's `maxBlockingConnections` wait
 * their turn. A wait that gets no answer is abandoned after its block time plus
 * the command timeout, so a silent server never wedges a reader.
 */

import type { Cursor } from '@replayrail/core';
import type { BlockingPool } from './blocking-pool.js';
import { blockingXread } from './blocking-xread.js';
import type { RunBlocking, Wait, Wakeups } from './wakeups.js';

export class OwnXread implements Wakeups {
  readonly publishes = false;
  readonly subscriberConnections = 0;
  readonly #pool: BlockingPool;
  readonly #run: RunBlocking;
  // Set by close(): what a wait cut short by the pool's closing fails with.
  #closed: unknown;

  constructor(pool: BlockingPool, run: RunBlocking) {
    this.#pool = pool;
    this.#run = run;
  }

  // Nothing to set up: the XREAD reads from the wait's cursor, so it sees what the page missed.
  async watch(key: string): Promise<Wait> {
    return (after, blockMs, signal) => this.#wait(key, after, blockMs, signal);
  }

  // The waits in flight end when the store closes the pool under them.
  close(error: unknown): void {
    this.#closed = error;
  }

  async #wait(key: string, after: Cursor, blockMs: number, signal: AbortSignal | undefined): Promise<void> {
    const reads = { pool: this.#pool, run: this.#run, closed: () => this.#closed };
    await blockingXread(reads, { key, after, blockMs, count: 1, signal });
  }
}
