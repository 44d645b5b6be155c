/**
 * @module
 * Acknowledgements written in batches: an entry's acknowledgement waits for the
 * end of the event loop's turn, or for the one write in flight on its channel (if
 * any), and goes in the next write with every other entry that finished meanwhile.
 * One round trip then settles many entries (a round trip costs the client about
 * 100 µs of CPU on a small VM, more than handling an entry), and a lone entry waits
 * no timer.
 */

import type { EntryRef, GroupRef } from '../store/group-store.js';
import { nextTurn } from './next-turn.js';

interface Waiting {
  readonly entry: EntryRef;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

// Most entries in one write: a script's arguments stay well inside Lua's stack.
const MAX_BATCH = 500;

export class AckBatcher {
  readonly #write: (ref: GroupRef, entries: readonly EntryRef[]) => Promise<unknown>;
  readonly #queues = new Map<GroupRef, Waiting[]>();
  readonly #writing = new Set<GroupRef>();

  constructor(write: (ref: GroupRef, entries: readonly EntryRef[]) => Promise<unknown>) {
    this.#write = write;
  }

  /** Resolves once the entry's acknowledgement is written; rejects with the store's error. */
  ack(ref: GroupRef, entry: EntryRef): Promise<void> {
    return new Promise((resolve, reject) => {
      let queue = this.#queues.get(ref);
      if (queue === undefined) {
        queue = [];
        this.#queues.set(ref, queue);
      }
      queue.push({ entry, resolve, reject });
      // Entries finishing in the same turn of the event loop join this write: every
      // handler of a batch that resolves at once (not only those of one microtask).
      if (!this.#writing.has(ref)) {
        this.#writing.add(ref);
        nextTurn(() => void this.#flush(ref));
      }
    });
  }

  async #flush(ref: GroupRef): Promise<void> {
    const queue = this.#queues.get(ref) ?? [];
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        await this.#write(
          ref,
          batch.map((waiting) => waiting.entry),
        );
        for (const waiting of batch) waiting.resolve();
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
    this.#writing.delete(ref);
  }
}
