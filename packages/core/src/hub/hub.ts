/**
 * @module
 * The per-process live hub: one `ChannelFeed` per channel with subscribers, and the
 * catch-up that brings a subscriber from its cursor to the feed's head in bounded
 * pages before it joins (DESIGN §4, §6). Works on any `EventStore`.
 */

import type { ResolvedConfig } from '../config.js';
import { toWireJson } from '../envelope.js';
import { isReplayRailError, type ReplayRailError, StoreError } from '../errors.js';
import type { EventStore, StreamRef } from '../store/event-store.js';
import type { Cursor, StoredEvent } from '../types.js';
import { ChannelFeed } from './channel-feed.js';
import { LiveSubscription, type SubscriptionInit, type SubscriptionOwner } from './subscription.js';
import { eventsBefore, undecodableEntry } from './undecodable.js';

/** Where a subscription starts: after a concrete cursor, or at a time. */
export type SubscriptionStart = { readonly after: Cursor } | { readonly since: Date };

/** What the hub needs to start a subscription: all a `LiveSubscription` takes but its channel and start. */
export type HubSubscribeOptions = Omit<SubscriptionInit, 'channel' | 'start'>;

function feedKey(stream: StreamRef): string {
  return `${stream.prefix}\u0000${stream.channel}`;
}

export class LiveHub implements SubscriptionOwner {
  readonly #store: EventStore;
  readonly #config: Readonly<ResolvedConfig>;
  readonly #feeds = new Map<string, ChannelFeed>();
  #subscriptions = 0;

  constructor(store: EventStore, config: Readonly<ResolvedConfig>) {
    this.#store = store;
    this.#config = config;
  }

  /** Channels with a live feed in this process. */
  get feeds(): number {
    return this.#feeds.size;
  }

  /** Subscriptions that have not ended, caught up or not. */
  get subscriptions(): number {
    return this.#subscriptions;
  }

  released(): void {
    this.#subscriptions--;
  }

  /**
   * Starts a subscription: it catches up from `start` in pages, then joins the
   * channel's feed. Returns at once; expiry or a store failure ends it (`ended`).
   */
  subscribe(stream: StreamRef, start: SubscriptionStart, options: HubSubscribeOptions): LiveSubscription {
    const init = { ...options, channel: stream.channel, start: 'after' in start ? start.after : null };
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
    const feed: ChannelFeed = new ChannelFeed(this.#store, stream, this.#config, subscription, cursor, () => {
      if (this.#feeds.get(key) === feed) this.#feeds.delete(key);
    });
    this.#feeds.set(key, feed);
    subscription.joined(feed);
    return true;
  }

  // Replays from the subscriber's position in bounded pages until it holds
  // everything up to the feed's head (or, with no feed, reaches the end of the
  // stream), then joins. Each join check is synchronous with the page it follows.
  async #catchUp(stream: StreamRef, start: SubscriptionStart, subscription: LiveSubscription): Promise<void> {
    const pageSize = this.#config.defaultReplayLimit;
    let cursor: Cursor | null = 'after' in start ? start.after : null;
    try {
      for (;;) {
        if (subscription.closed) return;
        const existing = this.#feeds.get(feedKey(stream));
        if (cursor !== null && existing !== undefined && this.#join(stream, subscription, cursor)) return;
        const from = cursor === null ? { since: (start as { since: Date }).since } : { after: cursor };
        let page: StoredEvent[];
        try {
          page = await this.#store.replay(stream, { ...from, limit: pageSize });
        } catch (error) {
          const bad = undecodableEntry(error);
          if (bad === undefined) throw error;
          // The page's events before it go out first, then the subscriber is told its ID.
          const before = await eventsBefore(this.#store, stream, from, bad, pageSize);
          if (subscription.closed) return;
          for (const event of before) subscription.deliver(event, toWireJson(event));
          subscription.skip(bad, error as ReplayRailError);
          cursor = bad;
          continue;
        }
        if (subscription.closed) return;
        for (const event of page) subscription.deliver(event, toWireJson(event));
        if (page.length > 0) cursor = (page[page.length - 1] as StoredEvent).id;
        if (page.length < pageSize) {
          // Nothing at or after `since` yet: everything new comes after the last entry now.
          if (cursor === null) cursor = await this.#store.latestCursor(stream);
          // The end of the stream, as of this page: start a feed there, or join one.
          else if (this.#join(stream, subscription, cursor)) return;
        }
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
