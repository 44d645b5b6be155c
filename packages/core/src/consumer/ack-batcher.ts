/**
 * @module
 * Acknowledgements written in batches. An entry's acknowledgement waits for one of,
 * whichever comes first: `windowMs` since the first acknowledgement waiting on its
 * channel, `batchSize` of them waiting, or the batcher being hurried (a consumer
 * stopping). The write then goes at the end of that turn of the event loop, with
 * everything that finished in it; one write per channel is in flight at a time, and
 * what finishes meanwhile goes in the next. A round trip costs the client about
 * 100 µs of CPU on a small VM, more than handling an entry, so a handler that takes
 * a millisecond must not pay one each. What was written (or failed) is handed back
 * a batch at a time.
 *
 * Waiting never risks at-least-once: an entry is queued here only after its handler
 * resolved, and until its write is done it stays pending on the consumer, which keeps
 * touching its claim (the window is checked to be well inside that, options.ts). A
 * crash while it waits runs that entry again elsewhere, and nothing else.
 */

import type { EntryRef, GroupRef } from '../store/group-store.js';
import { nextTurn } from './next-turn.js';

/** What is acknowledged: an entry of a channel. */
export interface Acknowledgeable {
  readonly ref: GroupRef;
  readonly entry: EntryRef;
}

/** When the acknowledgements waiting on a channel are written. */
export interface AckLimits {
  /** Longest wait after the first acknowledgement waiting, in ms; 0: at the end of its turn. */
  readonly windowMs: number;
  /** Acknowledgements waiting that are written without waiting out the window. */
  readonly batchSize: number;
}

interface Channel<T> {
  readonly ref: GroupRef;
  waiting: T[];
  // The window of the first one waiting, while it runs.
  timer: ReturnType<typeof setTimeout> | undefined;
  // What waits is to be written (window over, batch full, hurried); a write is scheduled or under way.
  due: boolean;
  writing: boolean;
}

// Most entries in one write: a script's arguments stay well inside Lua's stack.
const MAX_WRITE = 500;

export class AckBatcher<T extends Acknowledgeable> {
  readonly #write: (ref: GroupRef, entries: readonly EntryRef[]) => Promise<unknown>;
  readonly #written: (items: readonly T[], error: unknown) => void;
  readonly #limits: AckLimits;
  readonly #channels = new Map<GroupRef, Channel<T>>();
  #hurried = false;

  /**
   * @param write writes the acknowledgement of entries of one channel
   * @param written told of each batch once its write is done: `error` undefined, or why it failed
   */
  constructor(
    write: (ref: GroupRef, entries: readonly EntryRef[]) => Promise<unknown>,
    written: (items: readonly T[], error: unknown) => void,
    limits: AckLimits,
  ) {
    this.#write = write;
    this.#written = written;
    this.#limits = limits;
  }

  /**
   * Queues `item`'s acknowledgement; `written` hears of it. `promptly`: without a
   * window, at the end of this turn (something waits for it).
   */
  ack(item: T, promptly = false): void {
    let channel = this.#channels.get(item.ref);
    if (channel === undefined) {
      channel = { ref: item.ref, waiting: [], timer: undefined, due: false, writing: false };
      this.#channels.set(item.ref, channel);
    }
    channel.waiting.push(item);
    if (channel.due) return; // goes in the write scheduled or under way, or the one after it
    if (promptly || this.#hurried || this.#limits.windowMs === 0 || channel.waiting.length >= this.#limits.batchSize) {
      this.#due(channel);
    } else if (channel.timer === undefined) {
      const waiting = channel;
      channel.timer = setTimeout(() => {
        waiting.timer = undefined;
        this.#due(waiting);
      }, this.#limits.windowMs);
    }
  }

  /** Writes what waits (on `ref`'s channel, or on every one) now, without waiting out its window. */
  flush(ref?: GroupRef): void {
    const channels = ref === undefined ? this.#channels.values() : [this.#channels.get(ref)];
    for (const channel of channels) if (channel !== undefined && channel.waiting.length > 0) this.#due(channel);
  }

  /**
   * Writes what waits now, and from now on each acknowledgement without a window
   * (at the end of its turn), until `relax()`: a stopping consumer loses none of
   * them, nor waits for a timer.
   */
  hurry(): void {
    this.#hurried = true;
    this.flush();
  }

  /** Back to waiting for the window or the batch (a consumer started again). */
  relax(): void {
    this.#hurried = false;
  }

  // The channel's acknowledgements are to be written: at the end of this turn (so
  // the handlers resolving in it join), or once the write in flight is done.
  #due(channel: Channel<T>): void {
    channel.due = true;
    if (channel.timer !== undefined) {
      clearTimeout(channel.timer);
      channel.timer = undefined;
    }
    if (channel.writing) return;
    channel.writing = true;
    nextTurn(() => void this.#flush(channel));
  }

  async #flush(channel: Channel<T>): Promise<void> {
    while (channel.due) {
      let batch = channel.waiting;
      if (batch.length > MAX_WRITE) batch = channel.waiting.splice(0, MAX_WRITE);
      else channel.waiting = [];
      // Written all: what finishes during the write waits for its own window.
      if (channel.waiting.length === 0) channel.due = false;
      let error: unknown;
      try {
        await this.#write(
          channel.ref,
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
