/**
 * @module
 * Per-key ordering within a process: tasks that share a key run one at a time, in
 * the order they were given; tasks without a key, and tasks of different keys, run
 * side by side. A lane is forgotten as soon as it is empty.
 */

export class KeyLanes {
  readonly #tails = new Map<string, Promise<void>>();

  /** Lanes with a task running or waiting. */
  get size(): number {
    return this.#tails.size;
  }

  /** Runs `task` after every task given before with the same key; never rejects. */
  run(key: string | undefined, task: () => Promise<void>): Promise<void> {
    if (key === undefined) return task().catch(() => {});
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(task).catch(() => {});
    this.#tails.set(key, next);
    void next.then(() => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    });
    return next;
  }
}
