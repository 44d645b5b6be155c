/**
 * @module
 * Per-key ordering within a process: items that share a key take turns, one at a
 * time, in the order they came; items without a key, and items of other keys, do
 * not wait. A key is forgotten as soon as no item of it is left.
 */

export class KeyLanes<T> {
  // A key's items waiting for their turn; the key is present while one has it.
  readonly #waiting = new Map<string, T[]>();

  /** Keys with an item having its turn. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Whether `item` may go now; if not, it waits for the items of its key before it. */
  enter(key: string | undefined, item: T): boolean {
    if (key === undefined) return true;
    const waiting = this.#waiting.get(key);
    if (waiting === undefined) {
      this.#waiting.set(key, []);
      return true;
    }
    waiting.push(item);
    return false;
  }

  /** Whether an item of `key` waits for its turn. */
  waits(key: string | undefined): boolean {
    return key !== undefined && (this.#waiting.get(key)?.length ?? 0) > 0;
  }

  /** The item that had the key's turn is done: the next one of that key, whose turn it is now. */
  leave(key: string | undefined): T | undefined {
    if (key === undefined) return undefined;
    const waiting = this.#waiting.get(key);
    const next = waiting?.shift();
    if (next === undefined) this.#waiting.delete(key);
    return next;
  }

  /** Forgets every key and waiting item (the consumer stopped). */
  clear(): void {
    this.#waiting.clear();
  }
}
