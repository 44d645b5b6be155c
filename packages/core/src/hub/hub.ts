/**
 * @module
 * The per-process live hub: one `ChannelFeed` per channel with subscribers, each
 * subscriber brought to the feed's head by its own catch-up (catch-up.ts) before it
 * joins (docs/architecture.md, "The delivery contract", "Live fanout and wake-ups"). Works on any `EventStore`.
 */

import type { ResolvedConfig } from '../config.js';
import { isReplayRailError, StoreError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import type { StreamRef } from '../store/stream-ref.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Cursor } from '../types.js';
import { catchUp, type SubscriptionStart } from './catch-up.js';
import { ChannelFeed } from './channel-feed.js';
import {
  LiveSubscription,
  type SubscriptionEnd,
  type SubscriptionInit,
  type SubscriptionOwner,
} from './subscription.js';

/** What the hub needs to start a subscription: all a `LiveSubscription` takes but its channel and start. */
export type HubSubscribeOptions = Omit<SubscriptionInit, 'channel' | 'start'>;

function feedKey(stream: StreamRef): string {
  return `${stream.prefix}\u0000${stream.channel}`;
}

export class LiveHub implements SubscriptionOwner {
  readonly #store: EventStore;
  readonly #config: Readonly<ResolvedConfig>;
  readonly #feeds = new Map<string, ChannelFeed>();
  readonly #telemetry: Telemetry | undefined;
  #subscriptions = 0;

  constructor(store: EventStore, config: Readonly<ResolvedConfig>, telemetry?: Telemetry) {
    this.#store = store;
    this.#config = config;
    this.#telemetry = telemetry;
  }

  /** Channels with a live feed in this process. */
  get feeds(): number {
    return this.#feeds.size;
  }

  /** Subscriptions that have not ended, caught up or not. */
  get subscriptions(): number {
    return this.#subscriptions;
  }

  released(subscription: LiveSubscription, end: SubscriptionEnd): void {
    this.#subscriptions--;
    if (end === null || this.#telemetry === undefined) return;
    if (isReplayRailError(end, 'replay_window_expired', 'stream_reset')) {
      this.#telemetry.historyLost(subscription.channel, end.code);
    } else if (isReplayRailError(end, 'slow_consumer')) this.#telemetry.slowConsumer(subscription.channel);
  }

  /**
   * Starts a subscription: it catches up from `start` in pages, then joins the
   * channel's feed. Returns at once; expiry or a store failure ends it (`ended`).
   */
  subscribe(stream: StreamRef, start: SubscriptionStart, options: HubSubscribeOptions): LiveSubscription {
    const init = {
      ...options,
      channel: stream.channel,
      start: 'after' in start ? start.after : 'snapshot' in start ? start.snapshot.first.at : null,
      snapshot: 'snapshot' in start,
    };
    // Counted before it exists: a signal aborted already ends it (and releases it) at once.
    this.#subscriptions++;
    const subscription = new LiveSubscription(init, this);
    if (!subscription.closed) void this.#catchUp(stream, start, subscription);
    return subscription;
  }

  // Joins the channel's feed at `cursor` (starting the feed if there is none), or
  // says no: the feed is past `cursor`, so the subscriber must read on first.
  #join(stream: StreamRef, subscription: LiveSubscription, cursor: Cursor): boolean {
    const key = feedKey(stream);
    const existing = this.#feeds.get(key);
    if (existing !== undefined) {
      if (!existing.tryJoin(subscription, cursor)) return false;
      subscription.joined(existing);
      return true;
    }
    const onIdle = () => {
      if (this.#feeds.get(key) === feed) this.#feeds.delete(key);
    };
    const feed = new ChannelFeed(this.#store, stream, this.#config, subscription, cursor, onIdle, this.#telemetry);
    this.#feeds.set(key, feed);
    subscription.joined(feed);
    return true;
  }

  // The subscriber's catch-up; what ends it early ends the subscription.
  async #catchUp(stream: StreamRef, start: SubscriptionStart, subscription: LiveSubscription): Promise<void> {
    const key = feedKey(stream);
    const telemetry = this.#telemetry;
    const began = telemetry === undefined ? 0 : performance.now();
    const replayed = telemetry && ((count: number) => telemetry.replayed(stream.channel, count));
    try {
      await catchUp(
        this.#store,
        stream,
        start,
        subscription,
        this.#config,
        { running: () => this.#feeds.has(key), join: (cursor) => this.#join(stream, subscription, cursor) },
        replayed,
        telemetry && ((events) => telemetry.snapshotRead(stream.channel, events, (performance.now() - began) / 1000)),
      );
      if (telemetry !== undefined && !subscription.closed) {
        telemetry.caughtUp(stream.channel, (performance.now() - began) / 1000);
      }
    } catch (error) {
      subscription.end(
        isReplayRailError(error)
          ? error
          : new StoreError('catch-up replay failed', { cause: error, context: { channel: stream.channel } }),
      );
    }
  }
}
