/**
 * @module
 * Connections for blocking reads. XREAD BLOCK holds its connection until it
 * returns, so it never runs on the user's client (it would stall every publish
 * behind it). Connections are made on demand up to a cap and reused; a connection
 * whose read was abandoned (timeout, abort) is closed, never reused, because a
 * late reply would land on the next command.
 */

import { StoreClosedError } from '@replayrail/core/errors';
import type { RedisConnection } from './connection.js';

export class BlockingPool {
  readonly #source: RedisConnection;
  readonly #max: number;
  readonly #idle: RedisConnection[] = [];
  readonly #waiting: ((connection: RedisConnection | Error) => void)[] = [];
  readonly #all = new Set<RedisConnection>();
  #opening = 0;
  #closed = false;

  constructor(source: RedisConnection, max: number) {
    this.#source = source;
    this.#max = max;
  }

  /** Connections open now (idle or busy). */
  get size(): number {
    return this.#all.size;
  }

  /** An idle connection, a new one under the cap, or the next one released. */
  async acquire(): Promise<RedisConnection> {
    if (this.#closed) throw new StoreClosedError('RedisStreamStore is closed');
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#all.size + this.#opening < this.#max) {
      this.#opening++;
      try {
        const connection = await this.#source.duplicate();
        if (this.#closed) {
          await connection.disconnect();
          throw new StoreClosedError('RedisStreamStore is closed');
        }
        this.#all.add(connection);
        return connection;
      } finally {
        this.#opening--;
      }
    }
    const next = await new Promise<RedisConnection | Error>((resolve) => this.#waiting.push(resolve));
    if (next instanceof Error) throw next;
    return next;
  }

  /**
   * `acquire` under a deadline (`bound`, the store's command deadline): a new
   * connection whose server went silent must not hold a blocking read forever. A
   * connection that arrives after the deadline passed is closed, not leaked.
   */
  async acquireBounded(bound: (acquiring: Promise<RedisConnection>) => Promise<unknown>): Promise<RedisConnection> {
    const acquiring = this.acquire();
    try {
      return (await bound(acquiring)) as RedisConnection;
    } catch (error) {
      acquiring.then(
        (connection) => void this.discard(connection),
        () => {},
      );
      throw error;
    }
  }

  /** Returns a healthy connection for reuse. */
  release(connection: RedisConnection): void {
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter(connection);
    else this.#idle.push(connection);
  }

  /** Closes a connection that must not be reused, making room for a new one. */
  async discard(connection: RedisConnection): Promise<void> {
    this.#all.delete(connection);
    await connection.disconnect();
    // A waiter blocked on the cap may now open a fresh connection.
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) this.acquire().then(waiter, waiter);
  }

  /** Closes every connection; pending and later acquires fail with StoreClosedError. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter(new StoreClosedError('RedisStreamStore is closed'));
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.all(all.map((connection) => connection.disconnect()));
  }
}
