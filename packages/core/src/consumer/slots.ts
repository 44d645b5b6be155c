/**
 * @module
 * A counting semaphore: at most `size` holders at once, waiters served first come,
 * first served. The consumer's handler slots (`concurrency`).
 */

export class Slots {
  readonly #size: number;
  #taken = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** Slots taken now. */
  get taken(): number {
    return this.#taken;
  }

  /** Takes a slot if one is free now (no waiting in line); give it back with `release()`. */
  tryAcquire(): boolean {
    if (this.#taken >= this.#size || this.#waiting.length > 0) return false;
    this.#taken++;
    return true;
  }

  /** Resolves once a slot is taken for the caller; give it back with `release()`. */
  acquire(): Promise<void> {
    if (this.#taken < this.#size && this.#waiting.length === 0) {
      this.#taken++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a slot back: the longest waiter gets it. */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#taken--;
  }

  /** Lets every waiter through at once, over the size (stopping: each checks why it woke). */
  releaseAll(): void {
    const waiting = this.#waiting.splice(0);
    this.#taken += waiting.length;
    for (const wake of waiting) wake();
  }
}
