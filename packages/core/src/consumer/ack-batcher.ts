/**
 * @module
 * Acknowledgements written in batches: an entry's acknowledgement waits for the
 * end of the event loop's turn, or for the one write in flight on its channel (if
 * any), and goes in the next write with every other entry that finished meanwhile.
 * One round trip then settles many entries (a round trip costs the client about
 * 100 µs of CPU on a small VM, more than handling an entry), and a lone entry waits
 * no timer. The entries of a write share one promise.
 */

import type { EntryRef, GroupRef } from '../store/group-store.js';
import { nextTurn } from './next-turn.js';

interface Batch {
  readonly entries: EntryRef[];
  readonly written: Promise<void>;
  settle(error?: unknown): void;
}

interface Channel {
  // Batches waiting to be written, the last one still filling.
  readonly waiting: Batch[];
  writing: boolean;
}

// Most entries in one write: a script's arguments stay well inside Lua's stack.
const MAX_BATCH = 500;

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const written = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { entries: [], written, settle: (error) => (error === undefined ? resolve() : reject(error)) };
}

export class AckBatcher {
  readonly #write: (ref: GroupRef, entries: readonly EntryRef[]) => Promise<unknown>;
  readonly #channels = new Map<GroupRef, Channel>();

  constructor(write: (ref: GroupRef, entries: readonly EntryRef[]) => Promise<unknown>) {
    this.#write = write;
  }

  /** Resolves once the entry's acknowledgement is written; rejects with the store's error. */
  ack(ref: GroupRef, entry: EntryRef): Promise<void> {
    let channel = this.#channels.get(ref);
    if (channel === undefined) {
      channel = { waiting: [], writing: false };
      this.#channels.set(ref, channel);
    }
    let filling = channel.waiting[channel.waiting.length - 1];
    if (filling === undefined || filling.entries.length >= MAX_BATCH) {
      filling = batch();
      channel.waiting.push(filling);
    }
    filling.entries.push(entry);
    // Entries finishing in the same turn of the event loop join this write: every
    // handler of a batch that resolves at once (not only those of one microtask).
    if (!channel.writing) {
      channel.writing = true;
      const writing = channel;
      nextTurn(() => void this.#flush(ref, writing));
    }
    return filling.written;
  }

  async #flush(ref: GroupRef, channel: Channel): Promise<void> {
    for (let next = channel.waiting.shift(); next !== undefined; next = channel.waiting.shift()) {
      try {
        await this.#write(ref, next.entries);
        next.settle();
      } catch (error) {
        next.settle(error ?? new Error('acknowledgement failed'));
      }
    }
    channel.writing = false;
  }
}
