/**
 * @module
 * Bringing one subscriber from its cursor to the channel's head (docs/architecture.md, "The delivery contract", "Live fanout and wake-ups"):
 * pages read from the store, each one expiry-checked, handed over in order, then
 * the join with the channel's live feed, checked synchronously with the page it
 * follows, so nothing falls between the last page and the first live event.
 *
 * Pages are sized for throughput and bounded twice:
 * - by bytes: a page grows (doubling from `defaultReplayLimit`, up to
 *   `limits.maxReplayLimit` events) while the subscriber takes pages as fast as they
 *   come, but only as far as `limits.maxCatchUpPageBytes` holds at the event sizes
 *   seen, and it shrinks for larger events. A catching-up subscriber holds two pages
 *   at most: the one being handed over and the next, read meanwhile.
 * - by the consumer: a page is handed over as far as the consumer has room (a
 *   socket's send buffer under its cap, an iterator's buffer under `maxBuffered`).
 *   A slow reader slows its own catch-up down rather than being cut off as too slow.
 */

import type { ResolvedConfig } from '../config.js';
import { wireJsonAsRead } from '../envelope.js';
import type { ReplayRailError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import type { StatePage } from '../store/state-store.js';
import type { StreamRef } from '../store/stream-ref.js';
import type { Cursor, StoredEvent } from '../types.js';
import type { LiveSubscription } from './subscription.js';
import { eventsBefore, undecodableEntry } from './undecodable.js';

/**
 * A snapshot a subscription starts with: its first page, read before `subscribe`
 * returned (which fixed the cursor it is exact at), and the size of the next ones.
 */
export interface SnapshotStartPage {
  readonly first: StatePage;
  readonly pageSize: number;
}

/** Where a replay page starts: after a concrete cursor, or at a time. */
export type PageStart = { readonly after: Cursor } | { readonly since: Date };

/** Where a subscription starts: a page's start, or with the channel's snapshot. */
export type SubscriptionStart = PageStart | { readonly snapshot: SnapshotStartPage };

/** The channel's live feed, as a catch-up sees it. */
export interface FeedJoin {
  /** Whether a feed runs for the channel in this process. */
  running(): boolean;
  /** Joins the feed at `cursor`, starting one if none runs; false when the feed is past `cursor`. */
  join(cursor: Cursor): boolean;
}

// A page read, settled either way: a page read ahead may be dropped unread (the
// subscriber joined the feed first), and must not become an unhandled rejection.
type PageRead = { readonly events: StoredEvent[] } | { readonly error: unknown };

function readPage(
  store: EventStore,
  stream: StreamRef,
  from: PageStart,
  limit: number,
): { readonly limit: number; readonly result: Promise<PageRead> } {
  return {
    limit,
    result: store.replay(stream, { ...from, limit, framed: true }).then(
      (events) => ({ events }),
      (error: unknown) => ({ error }),
    ),
  };
}

/**
 * The size of the page after a full one of `limit` events whose frames took `units`
 * UTF-16 units: double while the consumer kept up, never past `maxReplayLimit`, nor
 * past what `maxCatchUpPageBytes` holds at this page's mean event size.
 */
export function nextPageSize(limit: number, units: number, keptUp: boolean, config: Readonly<ResolvedConfig>): number {
  const { maxReplayLimit, maxCatchUpPageBytes } = config.limits;
  const meanBytes = Math.max(1, units / Math.max(1, limit));
  const byBytes = Math.floor(maxCatchUpPageBytes / meanBytes);
  const wanted = keptUp ? limit * 2 : limit;
  return Math.max(1, Math.min(wanted, maxReplayLimit, byBytes));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// The longest pause between two looks at a consumer that has no room.
const MAX_WAIT_MS = 50;

/**
 * Hands `events` over in order, as far as the consumer has room each time it is
 * asked, waiting (1, 2, 4 … 50 ms) while it has none. Resolves to whether it ever
 * had to wait; stops early if the subscription ends.
 */
async function handOver(
  subscription: LiveSubscription,
  events: readonly StoredEvent[],
  frames: readonly string[],
  replayed: ((count: number) => void) | undefined,
): Promise<boolean> {
  let waited = false;
  let delay = 1;
  for (let next = 0; next < events.length; ) {
    const room = subscription.roomFor(frames, next);
    if (room > 0) replayed?.(room);
    for (const end = next + room; next < end; next++) {
      subscription.deliver(events[next] as StoredEvent, frames[next] as string);
    }
    if (next === events.length || subscription.closed) return waited;
    // What was just handed over is written after this turn: look again after a pause.
    waited = true;
    await sleep(delay);
    if (subscription.closed) return waited;
    delay = room > 0 ? 1 : Math.min(delay * 2, MAX_WAIT_MS);
  }
  return waited;
}

/**
 * Hands over a snapshot page by page (its events marked `snapshot: true`), each
 * page as far as the consumer has room. Resolves to the cursor the snapshot is
 * exact at, from which the catch-up goes on; null when the subscription ended.
 */
async function handOverSnapshot(
  store: EventStore,
  stream: StreamRef,
  snapshot: SnapshotStartPage,
  subscription: LiveSubscription,
  replayed: ((count: number) => void) | undefined,
  snapshotRead: ((events: number) => void) | undefined,
): Promise<Cursor | null> {
  const at = snapshot.first.at;
  let page = snapshot.first;
  let count = 0;
  for (;;) {
    const events = page.entries.map((entry): StoredEvent => ({ ...entry.event, snapshot: true }));
    await handOver(subscription, events, events.map(wireJsonAsRead), replayed);
    if (subscription.closed) return null;
    count += events.length;
    if (page.nextKey === null) {
      snapshotRead?.(count);
      return at;
    }
    // The rail checked that the store keeps a state before it took the first page.
    const state = store.state as NonNullable<EventStore['state']>;
    page = await state.page(stream, { at, afterKey: page.nextKey, limit: snapshot.pageSize });
    if (subscription.closed) return null;
  }
}

/**
 * Replays from `start` in pages until the subscriber holds everything up to the
 * feed's head (or, with no feed, reaches the end of the stream), then joins the feed.
 * Throws what the store threw (the caller ends the subscription with it).
 */
export async function catchUp(
  store: EventStore,
  stream: StreamRef,
  start: SubscriptionStart,
  subscription: LiveSubscription,
  config: Readonly<ResolvedConfig>,
  feed: FeedJoin,
  replayed?: (count: number) => void,
  snapshotRead?: (events: number) => void,
): Promise<void> {
  let cursor: Cursor | null = 'after' in start ? start.after : null;
  if ('snapshot' in start) {
    cursor = await handOverSnapshot(store, stream, start.snapshot, subscription, replayed, snapshotRead);
    if (cursor === null) return;
  }
  // A start at a time with nothing at or after it yet starts after the last entry as
  // of before the first page: an event published while that page was read is new.
  const latestBefore = cursor === null ? await store.latestCursor(stream) : null;
  let size = config.defaultReplayLimit;
  // Whether the consumer took the last page without having to make room.
  let keptUp = true;
  // The next page, read while the one before it is handed over.
  let ahead: ReturnType<typeof readPage> | undefined;
  for (;;) {
    if (subscription.closed) return;
    if (cursor !== null && feed.running() && feed.join(cursor)) return;
    const from: PageStart = cursor === null ? { since: (start as { since: Date }).since } : { after: cursor };
    const read = ahead ?? readPage(store, stream, from, size);
    ahead = undefined;
    const result = await read.result;
    if (subscription.closed) return;
    if ('error' in result) {
      const bad = undecodableEntry(result.error);
      if (bad === undefined) throw result.error;
      // The page's events before it go out first, then the subscriber is told its ID.
      const before = await eventsBefore(store, stream, from, bad, read.limit);
      if (subscription.closed) return;
      for (const event of before) subscription.deliver(event, wireJsonAsRead(event));
      replayed?.(before.length);
      subscription.skip(bad, result.error as ReplayRailError);
      cursor = bad;
      continue;
    }
    const events = result.events;
    const frames = events.map(wireJsonAsRead);
    const last = events.at(-1)?.id;
    const full = events.length === read.limit;
    // A full page: there is likely more. Read it while this one is handed over.
    if (full && last !== undefined) {
      let units = 0;
      for (const frame of frames) units += frame.length;
      size = nextPageSize(read.limit, units, keptUp, config);
      ahead = readPage(store, stream, { after: last }, size);
    }
    keptUp = !(await handOver(subscription, events, frames, replayed));
    if (subscription.closed) return;
    if (last !== undefined) cursor = last;
    if (full) continue;
    // Nothing at or after `since` yet: everything new comes after the last entry then.
    if (cursor === null) cursor = latestBefore as Cursor;
    // The end of the stream, as of this page: start a feed there, or join one.
    else if (feed.join(cursor)) return;
  }
}
