/**
 * @module
 * The live tail of each durable stream, shared by every reader in the process that
 * waits on it: one blocking `read` loop per stream while it has waiters, however many
 * long-polls and event streams wait there (on Redis, one `XREAD BLOCK` per stream per
 * process, as the rail's hub does for channels). What a read brings is handed to each
 * waiter it is new to; a waiter that arrives behind what the loop has already read is
 * told so (`behind`) and reads the gap itself, then waits again.
 *
 * Waiters are one-shot: a long-poll waits once; an event stream waits, writes what it
 * got, and waits again from there.
 */

import { compareCursors } from '@replayrail/core/cursor';
import type {
  DurableStreamInfo,
  DurableStreamRef,
  DurableStreamStore,
  StoredDurableMessage,
} from '@replayrail/core/store';

/** What a wait ends with. */
export type TailWake =
  /** Messages after the waiter's position (at least one), and the stream as it was when they were read. */
  | { readonly kind: 'messages'; readonly messages: readonly StoredDurableMessage[]; readonly info: DurableStreamInfo }
  /** The stream was closed with nothing after the waiter's position. */
  | { readonly kind: 'closed'; readonly info: DurableStreamInfo }
  /** The stream no longer exists (deleted or expired). */
  | { readonly kind: 'gone' }
  /** The shared read is past the waiter's position, or the path names another stream now: read it yourself. */
  | { readonly kind: 'behind' }
  /** Nothing came within the wait's time. */
  | { readonly kind: 'timeout' }
  /** The waiter's signal was aborted (its client left). */
  | { readonly kind: 'aborted' }
  /** The shared read failed: the error, for the waiter to answer with. */
  | { readonly kind: 'error'; readonly error: unknown };

/** Options of `StreamTails`. */
export interface StreamTailsOptions {
  /** How long one shared read blocks before it is made again (the stores end it sooner for a message, a close or a delete). */
  readonly blockMs: number;
  /** Most messages one shared read takes. */
  readonly limit: number;
}

interface Waiter {
  readonly after: string;
  readonly resolve: (wake: TailWake) => void;
}

interface Tail {
  readonly ref: DurableStreamRef;
  /** The stream incarnation the loop reads (`DurableStreamInfo.id`). */
  readonly streamId: string;
  /** The last ID the loop has read up to. */
  position: string;
  readonly waiters: Set<Waiter>;
  /** Aborts the read in flight: no waiter is left, or a local close asks for a fresh read. */
  controller: AbortController | undefined;
  /** The next read should not block (a local close happened). */
  poked: boolean;
}

/** The shared live reads of one process's durable streams. */
export class StreamTails {
  readonly #store: DurableStreamStore;
  readonly #options: StreamTailsOptions;
  readonly #tails = new Map<string, Tail>();
  #closed = false;

  constructor(store: DurableStreamStore, options: StreamTailsOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Streams with a read loop running now. */
  get active(): number {
    return this.#tails.size;
  }

  /**
   * Waits for what comes after `after` in the stream (`streamId` the incarnation the
   * caller read), up to `timeoutMs`, or until `signal` aborts.
   */
  wait(
    ref: DurableStreamRef,
    streamId: string,
    after: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<TailWake> {
    if (this.#closed) return Promise.resolve({ kind: 'aborted' });
    if (signal?.aborted) return Promise.resolve({ kind: 'aborted' });
    const key = keyOf(ref);
    let tail = this.#tails.get(key);
    if (tail !== undefined && tail.streamId !== streamId) {
      // The loop reads another incarnation of the path (deleted and created again
      // elsewhere): it is told to read again now, finds out, and ends.
      this.poke(ref);
      return Promise.resolve({ kind: 'behind' });
    }
    if (tail !== undefined && compareCursors(after, tail.position) < 0) return Promise.resolve({ kind: 'behind' });
    return new Promise<TailWake>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => finish({ kind: 'aborted' });
      const waiter: Waiter = { after, resolve: (wake) => finish(wake) };
      const finish = (wake: TailWake) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const current = this.#tails.get(key);
        if (current?.waiters.delete(waiter) && current.waiters.size === 0) {
          // Nobody waits any more: the read in flight is let go.
          current.controller?.abort();
        }
        resolve(wake);
      };
      timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (tail === undefined) {
        tail = { ref, streamId, position: after, waiters: new Set(), controller: undefined, poked: false };
        this.#tails.set(key, tail);
        tail.waiters.add(waiter);
        void this.#run(key, tail);
      } else tail.waiters.add(waiter);
    });
  }

  /** A close (or anything else a blocking read would not wake for) was made here: read again now. */
  poke(ref: DurableStreamRef): void {
    const tail = this.#tails.get(keyOf(ref));
    if (tail === undefined) return;
    tail.poked = true;
    tail.controller?.abort();
  }

  /** Wakes every waiter (`aborted`) and stops every loop. */
  close(): void {
    this.#closed = true;
    for (const tail of this.#tails.values()) this.#wakeAll(tail, { kind: 'aborted' });
  }

  async #run(key: string, tail: Tail): Promise<void> {
    try {
      while (tail.waiters.size > 0 && !this.#closed) {
        const controller = new AbortController();
        tail.controller = controller;
        const blockMs = tail.poked ? 0 : this.#options.blockMs;
        tail.poked = false;
        let result: Awaited<ReturnType<DurableStreamStore['read']>>;
        try {
          result = await this.#store.read(tail.ref, {
            after: tail.position,
            limit: this.#options.limit,
            blockMs,
            signal: controller.signal,
          });
        } catch (error) {
          // Let go on purpose (no waiter left, or poked): read again if anyone waits.
          if (controller.signal.aborted) continue;
          this.#wakeAll(tail, { kind: 'error', error });
          return;
        } finally {
          tail.controller = undefined;
        }
        if (result === null) {
          this.#wakeAll(tail, { kind: 'gone' });
          return;
        }
        const { messages, info } = result;
        if (info.id !== tail.streamId) {
          // Deleted and created again: positions of the old stream mean nothing here.
          this.#wakeAll(tail, { kind: 'behind' });
          return;
        }
        const last = messages[messages.length - 1];
        if (last !== undefined) {
          const from = tail.position;
          tail.position = last.id;
          for (const waiter of [...tail.waiters]) {
            // A waiter at the read's start (nearly all of them) gets the read's own array:
            // what an event stream frames once per array is then framed once per read.
            const fresh =
              waiter.after === from
                ? messages
                : messages.filter((message) => compareCursors(message.id, waiter.after) > 0);
            if (fresh.length > 0) waiter.resolve({ kind: 'messages', messages: fresh, info });
          }
        } else if (info.closed) {
          this.#wakeAll(tail, { kind: 'closed', info });
          return;
        }
      }
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  #wakeAll(tail: Tail, wake: TailWake): void {
    for (const waiter of [...tail.waiters]) waiter.resolve(wake);
  }
}

function keyOf(ref: DurableStreamRef): string {
  return `${ref.prefix}\u0000${ref.path}`;
}
