/**
 * @module
 * One subscriber's view of a channel: the events it has been handed, its cursor,
 * and how it ends. Events reach it from its own catch-up replay, then from the
 * channel's shared live feed; the cursor comparison here is what makes the
 * hand-over exact (an event at or before the cursor is never delivered twice).
 */

import { compareCursors } from '../cursor.js';
import { InternalError, type ReplayRailError, SlowConsumerError } from '../errors.js';
import { utf8Length } from '../json.js';
import type { Cursor, StoredEvent } from '../types.js';

/** Receives events pushed to a subscription, each with its wire frame (serialized once per event). */
export type EventListener = (event: StoredEvent, frame: string) => void;

/** An event with its wire frame, as an iterating consumer gets them from `frames()`. */
export interface FramedEvent {
  readonly event: StoredEvent;
  readonly frame: string;
}

/** An entry that could not be decoded, in its place among the events an iterator waits for. */
interface SkippedEntry {
  readonly skipped: ReplayRailError;
}

/** How a subscription ended: null when closed by its owner, else the error that ended it. */
export type SubscriptionEnd = ReplayRailError | null;

/**
 * A live subscription to one channel: replayed events first, then live ones, each
 * once and in order (docs/architecture.md, "The delivery contract"). Consume it with `onEvent`, or iterate it:
 *
 * @example
 * const subscription = await rail.subscribe('orders', { from: 'latest' });
 * for await (const event of subscription) console.log(event.id, event.type);
 */
export interface Subscription extends AsyncIterable<StoredEvent> {
  readonly channel: string;
  /**
   * Where it started: after this cursor (resolved before `subscribe` returned), or
   * null for `since`. From a snapshot: the cursor the snapshot is exact at.
   */
  readonly start: Cursor | null;
  /** Whether it starts with the channel's snapshot (`from: 'snapshot'`): events marked `snapshot: true` come first. */
  readonly snapshot: boolean;
  /** Resolves when it ends: null when closed by its owner, else the error that ended it. */
  readonly ended: Promise<SubscriptionEnd>;
  /**
   * The last event handed over (to `onEvent`, or into the iterator's buffer), or the
   * start. A consumer that resumes elsewhere should keep the ID of the last event it
   * finished processing.
   */
  readonly cursor: Cursor | null;
  /** Whether it has ended. */
  readonly closed: boolean;
  /** Stops it. Safe to call twice; buffered events are dropped. */
  close(): void;
  /**
   * Iterates events with their wire frames: the frame is the one made once for every
   * subscriber of the channel, for a transport to send as it is. Leaving the loop
   * early ends the subscription.
   */
  frames(): AsyncGenerator<FramedEvent, void, undefined>;
}

/** Options a `LiveSubscription` is made with. */
export interface SubscriptionInit {
  readonly channel: string;
  /** The cursor it starts after, or null when it starts at a time (`since`). */
  readonly start: Cursor | null;
  /** It starts with the channel's snapshot, exact at `start`. */
  readonly snapshot?: boolean;
  readonly onEvent?: EventListener;
  /** Non-fatal problems (an undecodable entry, reported by its ID and skipped). */
  readonly onError?: (error: ReplayRailError) => void;
  /** Called once when it ends, with how it ended. */
  readonly onEnd?: (end: SubscriptionEnd) => void;
  /** Called once it has caught up: every later event is live. */
  readonly onLive?: () => void;
  /** Events an iterating consumer may fall behind by before it is ended (SlowConsumerError). */
  readonly maxBuffered: number;
  /** Aborting it ends the subscription. */
  readonly signal?: AbortSignal;
  /**
   * Bytes of frames a listener can take now (a socket: its send-buffer cap minus what
   * waits in it; \`Infinity\` when nothing waits). A catch-up hands over no more.
   */
  readonly room?: () => number;
}

/** Who keeps a subscription: told once when it ends. */
export interface SubscriptionOwner {
  released(subscription: LiveSubscription, end: SubscriptionEnd): void;
}

/** What a subscription leaves when it ends: the hub's channel feed. */
export interface SubscriptionFeed {
  leave(subscription: LiveSubscription): void;
}

/**
 * The hub's side of a `Subscription`: the methods the hub and its feeds hand events
 * through. Internal to core: applications see the `Subscription` interface only.
 */
export class LiveSubscription implements Subscription {
  readonly channel: string;
  readonly start: Cursor | null;
  readonly snapshot: boolean;

  // Fields, not an options object or closures: every idle socket holds one of these.
  #cursor: Cursor | null;
  #end: SubscriptionEnd | undefined;
  #ended: Promise<SubscriptionEnd> | undefined;
  #resolveEnded: ((end: SubscriptionEnd) => void) | undefined;
  readonly #onEvent: EventListener | undefined;
  readonly #onError: ((error: ReplayRailError) => void) | undefined;
  readonly #onEnd: ((end: SubscriptionEnd) => void) | undefined;
  readonly #onLive: (() => void) | undefined;
  readonly #maxBuffered: number;
  readonly #signal: AbortSignal | undefined;
  readonly #owner: SubscriptionOwner | undefined;
  // Only a catch-up asks: let go once the subscription is live.
  #room: (() => number) | undefined;
  #feed: SubscriptionFeed | undefined;
  // Only an iterating consumer needs a buffer; a listener gets events as they come.
  // Events waiting for the iterator, and the undecodable entries among them in their
  // place, so an iterating owner hears of one after the events before it.
  #buffer: (FramedEvent | SkippedEntry)[] | undefined;
  #wake: (() => void) | undefined;

  constructor(init: SubscriptionInit, owner?: SubscriptionOwner) {
    this.#owner = owner;
    this.channel = init.channel;
    this.start = init.start;
    this.snapshot = init.snapshot === true;
    this.#cursor = init.start;
    this.#onEvent = init.onEvent;
    this.#onError = init.onError;
    this.#onEnd = init.onEnd;
    this.#onLive = init.onLive;
    this.#maxBuffered = init.maxBuffered;
    this.#signal = init.signal;
    this.#room = init.room;
    if (init.signal?.aborted) this.close();
    // The subscription is its own abort listener (`handleEvent`): no closure to hold.
    else init.signal?.addEventListener('abort', this, { once: true });
  }

  get ended(): Promise<SubscriptionEnd> {
    // Made on first use: a listener-style subscriber may never ask.
    if (this.#ended === undefined) {
      if (this.#end !== undefined) this.#ended = Promise.resolve(this.#end);
      else {
        this.#ended = new Promise((resolve) => {
          this.#resolveEnded = resolve;
        });
      }
    }
    return this.#ended;
  }

  get cursor(): Cursor | null {
    return this.#cursor;
  }

  get closed(): boolean {
    return this.#end !== undefined;
  }

  close(): void {
    this.end(null);
  }

  /**
   * Hands it one event unless it already has it (id at or before its cursor). A
   * snapshot's events (`snapshot: true`) come before the cursor they are exact at,
   * in key order: each is handed over, and none moves the cursor.
   */
  deliver(event: StoredEvent, frame: string): void {
    if (this.#end !== undefined) return;
    const fromSnapshot = event.snapshot === true;
    if (!fromSnapshot && this.#cursor !== null && compareCursors(event.id, this.#cursor) <= 0) return;
    if (this.#onEvent !== undefined) {
      if (!fromSnapshot) this.#cursor = event.id;
      try {
        this.#onEvent(event, frame);
      } catch (error) {
        // A throwing listener ends its own subscription, never the channel's feed.
        this.end(
          new InternalError(`onEvent threw for ${event.id}`, {
            cause: error,
            context: { channel: this.channel, id: event.id },
          }),
        );
      }
      return;
    }
    // Full: end it before taking this event, so its cursor still names the last
    // event it holds and a resume from there loses nothing.
    this.#buffer ??= [];
    if (this.#buffer.length >= this.#maxBuffered) {
      this.end(
        new SlowConsumerError(`subscriber to ${this.channel} fell ${this.#maxBuffered} events behind`, {
          context: { channel: this.channel, cursor: this.#cursor, maxBuffered: this.#maxBuffered },
        }),
      );
      return;
    }
    if (!fromSnapshot) this.#cursor = event.id;
    this.#buffer.push({ event, frame });
    this.#wake?.();
  }

  /** Moves the cursor past an entry that could not be decoded, after telling the owner. */
  skip(id: Cursor, error: ReplayRailError): void {
    if (this.#end !== undefined) return;
    if (this.#cursor !== null && compareCursors(id, this.#cursor) <= 0) return;
    this.#cursor = id;
    if (this.#onEvent !== undefined || this.#onError === undefined) this.#onError?.(error);
    else {
      // Iterated: told when the iterator reaches it, after the events before it.
      this.#buffer ??= [];
      this.#buffer.push({ skipped: error });
      this.#wake?.();
    }
  }

  /**
   * How many of `frames`, from index `from` on, the consumer has room for now (0:
   * none, ask again later). An iterating consumer holds up to `maxBuffered` events; a
   * listener as many bytes as its `room` says. A consumer with nothing waiting always
   * takes one, so an event larger than any cap still goes.
   */
  roomFor(frames: readonly string[], from: number): number {
    const wanted = frames.length - from;
    if (this.#end !== undefined || wanted <= 0) return 0;
    if (this.#onEvent === undefined) {
      const held = this.#buffer?.length ?? 0;
      return held === 0
        ? Math.max(1, Math.min(wanted, this.#maxBuffered))
        : Math.max(0, Math.min(wanted, this.#maxBuffered - held));
    }
    const room = this.#room?.() ?? Number.POSITIVE_INFINITY;
    if (room === Number.POSITIVE_INFINITY) return wanted;
    let bytes = 0;
    let count = 0;
    while (count < wanted) {
      bytes += utf8Length(frames[from + count] as string);
      if (bytes > room) break;
      count++;
    }
    return count;
  }

  /** It joined `feed`'s live set, which it leaves when it ends. */
  joined(feed: SubscriptionFeed): void {
    this.#room = undefined;
    this.#feed = feed;
    this.#onLive?.();
  }

  /** Ends it: null when its owner closed it, else the error that ended it. */
  end(end: SubscriptionEnd): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#feed?.leave(this);
    this.#feed = undefined;
    this.#room = undefined;
    this.#owner?.released(this, end);
    this.#signal?.removeEventListener('abort', this);
    this.#resolveEnded?.(end);
    this.#wake?.();
    this.#onEnd?.(end);
  }

  /** The abort signal fired (the subscription is its own listener: no closure to hold). */
  handleEvent(): void {
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    for await (const { event } of this.frames()) yield event;
  }

  async *frames(): AsyncGenerator<FramedEvent, void, undefined> {
    if (this.#onEvent !== undefined) throw new TypeError('a subscription with onEvent cannot also be iterated');
    try {
      for (;;) {
        const next = this.#buffer?.shift();
        if (next !== undefined) {
          if ('skipped' in next) this.#onError?.(next.skipped);
          else yield next;
          continue;
        }
        if (this.#end !== undefined) {
          if (this.#end !== null) throw this.#end;
          return;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
      }
    } finally {
      // Leaving the loop early (break, return, throw) ends the subscription.
      this.close();
    }
  }
}
