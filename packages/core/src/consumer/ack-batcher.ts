/**
 * @module
 * Acknowledgements written in batches: an entry's acknowledgement waits for the
 * end of the event loop's turn, or for the one write in flight on its channel (if
 * any), and goes in the next write with every other entry that finished meanwhile.
 * One round trip then settles many entries (a round trip costs the client about
 * 100 µs of CPU on a small VM, more than handling an entry), and a lone entry waits
 * no timer. What was written (or failed) is handed back a batch at a time.
 */

import type { EntryRef, GroupRef } from '../store/group-store.js';
import { nextTurn } from './next-turn.js';

/** What is acknowledged: an entry of a channel. */
export interface Acknowledgeable {
  readonly ref: GroupRef;
  readonly entry: EntryRef;
}

interface Channel<T> {
  // Batches waiting to be written, the last one still filling.
  readonly waiting: T[][];
  writing: boolean;
}

// Most entries in one write: a script's arguments stay well inside Lua's stack.
const MAX_BATCH = 500;

export class AckBatcher<T extends Acknowledgeable> {
  readonly #write: (ref: GroupRef, entries: readonly EntryRef[]) => Promise<unknown>;
  readonly #written: (items: readonly T[], error: unknown) => void;
  readonly #channels = new Map<GroupRef, Channel<T>>();

  /**
   * @param write writes the acknowledgement of entries of one channel
   * @param written told of each batch once its write is done: `error` undefined, or why it failed
   */
  constructor(
    write: (ref: GroupRef, entries: readonly EntryRef[]) => Promise<unknown>,
    written: (items: readonly T[], error: unknown) => void,
  ) {
    this.#write = write;
    this.#written = written;
  }

  /** Queues `item`'s acknowledgement; `written` hears of it. */
  ack(item: T): void {
    let channel = this.#channels.get(item.ref);
    if (channel === undefined) {
      channel = { waiting: [], writing: false };
      this.#channels.set(item.ref, channel);
    }
    let filling = channel.waiting[channel.waiting.length - 1];
    if (filling === undefined || filling.length >= MAX_BATCH) {
      filling = [];
      channel.waiting.push(filling);
    }
    filling.push(item);
    // Entries finishing in the same turn of the event loop join this write: every
    // handler of a batch that resolves at once (not only those of one microtask).
    if (!channel.writing) {
      channel.writing = true;
      const ref = item.ref;
      const writing = channel;
      nextTurn(() => void this.#flush(ref, writing));
    }
  }

  async #flush(ref: GroupRef, channel: Channel<T>): Promise<void> {
    for (let batch = channel.waiting.shift(); batch !== undefined; batch = channel.waiting.shift()) {
      let error: unknown;
      try {
        await this.#write(
          ref,
          batch.map((item) => item.entry),
        );
      } catch (failure) {
        error = failure ?? new Error('acknowledgement failed');
      }
      this.#written(batch, error);
    }
    channel.writing = false;
  }
}
