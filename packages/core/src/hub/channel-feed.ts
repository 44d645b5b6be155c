/**
 * @module
 * The one read path of a channel in this process (docs/architecture.md, "Live fanout and wake-ups"). A feed reads new
 * events after its head with blocking store reads, serializes each event to its
 * wire frame once, and hands it to every live subscriber. N subscribers cost one
 * store read per batch and one serialization per event.
 *
 * The hand-over rule, which the join check relies on: a feed delivers a batch to
 * all live subscribers and moves its head past it in one synchronous step, so at
 * any moment every event up to the head has reached every live subscriber, and
 * every event after it will.
 */

import type { ResolvedConfig } from '../config.js';
import { compareCursors } from '../cursor.js';
import { wireJsonAsRead } from '../envelope.js';
import { isReplayRailError, type ReplayRailError, StoreError, toReplayRailError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import type { StreamRef } from '../store/stream-ref.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Cursor, StoredEvent } from '../types.js';
import type { LiveSubscription } from './subscription.js';
import { eventsBefore, undecodableEntry } from './undecodable.js';

/** How long a feed waits before reading again after a transient store error, doubling up to the cap. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export class ChannelFeed {
  readonly #store: EventStore;
  readonly #telemetry: Telemetry | undefined;
  readonly #stream: StreamRef;
  readonly #config: Readonly<ResolvedConfig>;
  readonly #onIdle: () => void;
  readonly #live = new Set<LiveSubscription>();
  readonly #stop = new AbortController();
  #head: Cursor;

  /** Starts a feed whose live set begins with `first`, at `first`'s cursor. */
  constructor(
    store: EventStore,
    stream: StreamRef,
    config: Readonly<ResolvedConfig>,
    first: LiveSubscription,
    head: Cursor,
    onIdle: () => void,
    telemetry: Telemetry | undefined,
  ) {
    this.#telemetry = telemetry;
    this.#store = store;
    this.#stream = stream;
    this.#config = config;
    this.#onIdle = onIdle;
    this.#head = head;
    this.#live.add(first);
    void this.#run();
  }

  /** Everything up to here has reached every live subscriber. */
  get head(): Cursor {
    return this.#head;
  }

  get subscribers(): number {
    return this.#live.size;
  }

  /**
   * Joins `subscription` to the live set if it has everything up to the head; a
   * subscriber that is behind must catch up from the store first. Synchronous, so
   * no batch can be delivered between the check and the join.
   */
  tryJoin(subscription: LiveSubscription, cursor: Cursor): boolean {
    if (this.#stop.signal.aborted || compareCursors(cursor, this.#head) < 0) return false;
    this.#live.add(subscription);
    return true;
  }

  leave(subscription: LiveSubscription): void {
    this.#live.delete(subscription);
    if (this.#live.size === 0) this.#close();
  }

  #close(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#onIdle();
  }

  #deliver(events: readonly StoredEvent[]): void {
    this.#telemetry?.delivered(this.#stream.channel, events.length * this.#live.size);
    for (const event of events) {
      const frame = wireJsonAsRead(event);
      for (const subscription of this.#live) subscription.deliver(event, frame);
    }
    this.#head = (events[events.length - 1] as StoredEvent).id;
  }

  #fail(error: ReplayRailError): void {
    this.#close();
    for (const subscription of [...this.#live]) subscription.end(error);
    this.#live.clear();
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let retryMs = RETRY_MIN_MS;
    while (!signal.aborted) {
      let events: StoredEvent[];
      try {
        events = await this.#store.read(this.#stream, {
          after: this.#head,
          blockMs: this.#config.readBlockMs,
          limit: this.#config.readBatchSize,
          signal,
          framed: true,
        });
        retryMs = RETRY_MIN_MS;
      } catch (error) {
        if (signal.aborted) return;
        const bad = undecodableEntry(error);
        if (bad !== undefined && compareCursors(bad, this.#head) > 0) {
          // The batch's events before it go out first; then every subscriber is told
          // the ID, and the feed moves past it. Never dropped in silence.
          try {
            const before = await eventsBefore(
              this.#store,
              this.#stream,
              { after: this.#head },
              bad,
              this.#config.readBatchSize,
            );
            if (signal.aborted) return;
            if (before.length > 0) this.#deliver(before);
          } catch (failure) {
            if (signal.aborted) return;
            this.#fail(toReplayRailError(failure));
            return;
          }
          for (const subscription of this.#live) subscription.skip(bad, error as ReplayRailError);
          this.#head = bad;
          continue;
        }
        // Transient store failures are waited out; anything else ends the channel's subscribers.
        if (!isReplayRailError(error, 'store_error', 'store_unavailable')) {
          this.#fail(
            isReplayRailError(error)
              ? error
              : new StoreError('live read failed', { cause: error, context: { channel: this.#stream.channel } }),
          );
          return;
        }
        // Transient (Redis down, a timeout): the subscribers keep their place and wait.
        await sleep(retryMs, signal);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        continue;
      }
      if (events.length > 0 && !signal.aborted) this.#deliver(events);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
