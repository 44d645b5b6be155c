import {
  compareCursors,
  type EventStore,
  isReplayRailError,
  ReplayRail,
  type ReplayRailConfig,
  type StoredEvent,
} from '@replayrail/core';
import type { StatePage, StateQuery, StateStore, StreamRef } from '@replayrail/core/store';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './socket-client.js';
import type { StoreFixture } from './socket-suite.js';

/**
 * What a reader that started `from: 'snapshot'` got: the cursor it was told the
 * snapshot is exact at (null where its endpoint tells none: the one-channel socket),
 * the snapshot's events as they came, then the events after it up to the marker
 * (left out), in the order they came.
 */
export interface SnapshotReading {
  readonly cursor: string | null;
  readonly snapshot: readonly StoredEvent[];
  readonly events: readonly StoredEvent[];
}

/**
 * Reads `channel` from its snapshot through one endpoint, checking that endpoint's
 * framing as it goes; `marker()` publishes the marker once the snapshot has been
 * read (it waits for that), and the probe reads up to it. A refusal is reported as
 * its error code (a 400 body, a 4400 close reason, an error frame).
 */
export type SnapshotProbe = (
  channel: string,
  marker: () => Promise<StoredEvent>,
) => Promise<SnapshotReading | { readonly error: string }>;

/** The endpoints a transport serves, by name. */
export type SnapshotProbes = Readonly<Record<string, SnapshotProbe>>;

/** The marker's type: keyless, so it changes no key. */
export const MARKER_TYPE = 'test.marker';
const TOMBSTONE = 'order.deleted';
const PAGE_SIZE = 2;
const KEPT = 10;

/**
 * The keyed channels of the suite, `restaurant:<n>:orders`: `order_id` is the key,
 * `order.deleted` a tombstone, 10 entries kept, pages of 2 (so a snapshot takes
 * several pages, and the events after its cursor several catch-up pages).
 */
export const SNAPSHOT_CONFIG: ReplayRailConfig = {
  defaultReplayLimit: PAGE_SIZE,
  approximateTrimming: false,
  channels: [
    { match: 'restaurant:*:orders', maxStreamLength: KEPT, state: { key: 'order_id', tombstones: [TOMBSTONE] } },
  ],
};

type Step = readonly [type: string, key: string | null, status?: string];

// The history before the reader comes: seven orders, updates, a tombstone, notes
// without a key; 20 events, of which the channel keeps 10, so the first events of
// o2, o6 and o8 are gone from the stream but not from the state.
const HISTORY: readonly Step[] = [
  ...['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7'].map((key): Step => ['order.created', key, 'new']),
  ['kitchen.note', null],
  ['order.status', 'o2', 'cooking'],
  ['order.status', 'o3', 'cooking'],
  ['order.status', 'o4', 'cooking'],
  [TOMBSTONE, 'o3'],
  ['order.status', 'o1', 'ready'],
  ['order.status', 'o4', 'ready'],
  ['order.status', 'o5', 'cooking'],
  ['order.status', 'o7', 'cooking'],
  ['order.created', 'o8', 'new'],
  ['order.status', 'o1', 'served'],
  ['order.status', 'o5', 'ready'],
  ['kitchen.note', null],
];

// Published while the snapshot is read, after its first and its second page: a
// key in a later page changed (left out of the snapshot, carried by the events
// after its cursor), a key already read deleted and another changed again, a new
// key, a note; then a key of the last page. Fewer than the 10 kept, with the
// marker: the snapshot's cursor is still retained when the catch-up reads after it.
const WHILE_READ: readonly (readonly Step[])[] = [
  [
    ['order.status', 'o5', 'served'],
    [TOMBSTONE, 'o2'],
    ['order.status', 'o1', 'paid'],
    ['order.created', 'o0', 'new'],
    ['kitchen.note', null],
  ],
  [['order.status', 'o7', 'served']],
];

const keyOf = (event: StoredEvent): string | null => (event.payload.order_id as string | undefined) ?? null;

/** The state a reader holds after applying `events` in turn: key → its latest event. */
export function applyEvents(
  events: Iterable<StoredEvent>,
  into = new Map<string, StoredEvent>(),
): Map<string, StoredEvent> {
  for (const event of events) {
    const key = keyOf(event);
    if (key === null) continue;
    if (event.type === TOMBSTONE) into.delete(key);
    else into.set(key, event);
  }
  return into;
}

const ids = (state: Map<string, StoredEvent>) =>
  Object.fromEntries([...state].map(([key, event]) => [key, event.id]).sort());

// JSON with every object's keys sorted: events compared by content, whatever the
// order of the keys they were built or parsed with.
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

const unmarked = (event: StoredEvent): StoredEvent => {
  const { snapshot: _marked, ...rest } = event;
  return rest;
};

/** What the suite knows of a channel's snapshot reads, from the store's side. */
interface Reads {
  /** Pages read so far. */
  pages: number;
  /** The cursor the first page was taken at. */
  cursor: string | undefined;
  /** Resolves once a page with no next key was read (and what it set off was published). */
  done: Promise<void>;
  finish: () => void;
}

/**
 * The store, with `after` run once each page of a state has been read and before
 * the reader gets it: publishing while a snapshot is read, at a known point between
 * its pages (a writer on a timer would land there only sometimes). Everything else
 * is the store's own.
 */
function publishingBetweenPages(
  store: EventStore,
  after: (stream: StreamRef, query: StateQuery, page: StatePage) => Promise<void>,
): EventStore {
  const state = store.state;
  const hooked: StateStore | undefined = state && {
    page: async (stream, query) => {
      const page = await state.page(stream, query);
      await after(stream, query, page);
      return page;
    },
    get: (stream, key) => state.get(stream, key),
    size: (stream) => state.size(stream),
    apply: (stream, updates) => state.apply(stream, updates),
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'state') return hooked;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Issue #24's hand-off on every endpoint of a transport, and in code: a reader that
 * starts from a keyed channel's snapshot, with history trimmed and publishing going
 * on between the snapshot's pages, gets the snapshot's events marked, each key at
 * most once and as it was at the snapshot's cursor, every key the events after the
 * cursor do not touch; then every event after the cursor once, in order, with no
 * gap; and its per-key state is that of a reader of the whole history. A channel
 * that keeps no state is refused with `invalid_request`.
 */
export function snapshotSuite(
  name: string,
  fixture: () => Promise<StoreFixture>,
  serve: (rail: ReplayRail) => Promise<{ probes: SnapshotProbes; close(): Promise<void> }>,
): void {
  describe(`from a snapshot: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('hands every endpoint the snapshot, then every event after its cursor, once, in order', async () => {
      const { store, prefix, dispose } = await fixture();
      cleanups.push(dispose);
      const published = new Map<string, StoredEvent[]>();
      const reads = new Map<string, Reads>();
      const publish = async (channel: string, [type, key, status]: Step, n: number) => {
        const payload = key === null ? { text: `note ${n}` } : { order_id: key, ...(status && { status }) };
        const event = await rail.publish({ channel, type, payload });
        published.get(channel)?.push(event);
        return event;
      };
      const hooked = publishingBetweenPages(store, async (stream, query, page) => {
        const read = reads.get(stream.channel);
        if (read === undefined) return;
        if (query.at === undefined) read.cursor = page.at;
        for (const [n, step] of (WHILE_READ[read.pages++] ?? []).entries()) await publish(stream.channel, step, n);
        if (page.nextKey === null) read.finish();
      });
      const rail = new ReplayRail({ store: hooked, config: { streamPrefix: prefix, ...SNAPSHOT_CONFIG } });
      const served = await serve(rail);
      cleanups.push(async () => {
        await served.close();
        await rail.close();
      });

      const probes = { ...codeProbes(rail), ...served.probes };
      const mismatches: string[] = [];
      let channels = 0;
      for (const [endpoint, probe] of Object.entries(probes)) {
        const channel = `restaurant:${channels++}:orders`;
        published.set(channel, []);
        for (const [n, step] of HISTORY.entries()) await publish(channel, step, n);
        let finish = () => {};
        const done = new Promise<void>((resolve) => {
          finish = resolve;
        });
        const read: Reads = { pages: 0, cursor: undefined, done, finish };
        reads.set(channel, read);
        // Published once the snapshot has been read: from then on, the snapshot plus
        // the events after its cursor is the channel's state.
        const marker = async () => {
          await read.done;
          return publish(channel, [MARKER_TYPE, null], -1);
        };
        const got = await probe(channel, marker);
        reads.delete(channel);
        if ('error' in got) {
          mismatches.push(`${endpoint}: refused with ${got.error}`);
          continue;
        }
        const all = published.get(channel) as StoredEvent[];
        const cursor = read.cursor as string;
        const problems = checkReading(got, all, cursor);
        // The scenario happened: publishing between pages, and a key it changed left out.
        if (read.pages < WHILE_READ.length) problems.push(`the snapshot took ${read.pages} pages`);
        const atCursor = applyEvents(all.filter((event) => compareCursors(event.id, cursor) <= 0));
        if ([...atCursor.keys()].every((key) => got.snapshot.some((event) => keyOf(event) === key))) {
          problems.push('no key changed while the snapshot was read was left out of it');
        }
        // Trimmed history: the snapshot holds an event the stream no longer does.
        const first = (await rail.replay(channel, { after: '0-0', limit: 1 })).events[0] as StoredEvent;
        if (!got.snapshot.some((event) => compareCursors(event.id, first.id) < 0)) {
          problems.push('no snapshot event is older than the retained history');
        }
        for (const problem of problems) mismatches.push(`${endpoint}: ${problem}`);
      }
      expect(mismatches).toEqual([]);
    }, 60_000);

    it('refuses a snapshot of a channel that keeps no state with invalid_request, on every endpoint', async () => {
      const { store, prefix, dispose } = await fixture();
      cleanups.push(dispose);
      const rail = new ReplayRail({ store, config: { streamPrefix: prefix, ...SNAPSHOT_CONFIG } });
      const served = await serve(rail);
      cleanups.push(async () => {
        await served.close();
        await rail.close();
      });
      const probes = { ...codeProbes(rail), ...served.probes };
      const outcomes: Record<string, unknown> = {};
      for (const [endpoint, probe] of Object.entries(probes)) {
        await rail.publish({ channel: 'plain', type: 'order.created', payload: { order_id: 'o1' } });
        const marker = () => rail.publish({ channel: 'plain', type: MARKER_TYPE, payload: {} });
        outcomes[endpoint] = await probe('plain', marker);
      }
      expect(outcomes).toEqual(
        Object.fromEntries(Object.keys(probes).map((endpoint) => [endpoint, { error: 'invalid_request' }])),
      );
    });
  });
}

/**
 * What is wrong with a reading of a channel whose events were `all` (in the order
 * published) from a snapshot exact at `cursor`; nothing when it is right.
 */
export function checkReading(got: SnapshotReading, all: readonly StoredEvent[], cursor: string): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const marker = all.find((event) => event.type === MARKER_TYPE);
  const beforeMarker = all.filter((event) => marker === undefined || compareCursors(event.id, marker.id) < 0);
  const atCursor = applyEvents(all.filter((event) => compareCursors(event.id, cursor) <= 0));
  const after = beforeMarker.filter((event) => compareCursors(event.id, cursor) > 0);
  const touchedAfter = new Set(after.map(keyOf));

  check(got.cursor === null || got.cursor === cursor, `told cursor ${got.cursor}, the snapshot is at ${cursor}`);
  check(
    got.snapshot.every((event) => event.snapshot === true),
    'a snapshot event is not marked snapshot: true',
  );
  check(
    got.events.every((event) => !('snapshot' in event)),
    'an event after the snapshot is marked as one of it',
  );
  // Each key once, in key order, as it was at the cursor.
  const keys = got.snapshot.map(keyOf);
  check(
    keys.every((key, i) => key !== null && (i === 0 || (keys[i - 1] as string) < key)),
    `snapshot keys not each once in key order: ${keys.join(',')}`,
  );
  for (const event of got.snapshot) {
    const expected = atCursor.get(keyOf(event) as string);
    check(
      expected !== undefined && canonical(unmarked(event)) === canonical(expected),
      `snapshot event ${event.id} (${keyOf(event)}) is not its key's latest at the cursor (${expected?.id ?? 'none'})`,
    );
  }
  // A key left out of the snapshot only if the events after the cursor carry it.
  for (const key of atCursor.keys()) {
    check(keys.includes(key) || touchedAfter.has(key), `key ${key} is missing: neither in the snapshot nor after it`);
  }
  // After the cursor: every event, once, in order, no gap (up to the marker).
  check(
    canonical(got.events) === canonical(after),
    `events after the cursor: got ${got.events.map((event) => event.id).join(',')}, want ${after.map((event) => event.id).join(',')}`,
  );
  // The reader's state is that of a reader of the whole history.
  const reader = applyEvents(got.events, applyEvents(got.snapshot.map(unmarked)));
  const whole = applyEvents(beforeMarker);
  check(
    JSON.stringify(ids(reader)) === JSON.stringify(ids(whole)),
    `state ${JSON.stringify(ids(reader))}, want ${JSON.stringify(ids(whole))}`,
  );
  return problems;
}

const codeOf = (error: unknown) => ({ error: isReplayRailError(error) ? error.code : String(error) });

/** The rail's own reads as probes: the iterator, and replay's pages. */
function codeProbes(rail: ReplayRail): SnapshotProbes {
  return {
    'rail.subscribe (the iterator)': async (channel, marker) => {
      let subscription: Awaited<ReturnType<ReplayRail['subscribe']>>;
      try {
        subscription = await rail.subscribe(channel, { from: 'snapshot' });
      } catch (error) {
        return codeOf(error);
      }
      expect(subscription.snapshot).toBe(true);
      const marked = marker();
      const snapshot: StoredEvent[] = [];
      const events: StoredEvent[] = [];
      for await (const event of subscription) {
        if (event.type === MARKER_TYPE) break;
        (event.snapshot === true ? snapshot : events).push(event);
      }
      await marked;
      return { cursor: subscription.start, snapshot, events };
    },
    'rail.replay (pages)': async (channel, marker) => {
      let page: Awaited<ReturnType<ReplayRail['replay']>>;
      try {
        page = await rail.replay(channel, { from: 'snapshot' });
      } catch (error) {
        return codeOf(error);
      }
      const cursor = page.snapshot?.cursor ?? null;
      const snapshot = [...page.events];
      while (page.snapshot !== undefined && page.snapshot.nextKey !== null) {
        expect(page).toMatchObject({ next: null, hasMore: true });
        page = await rail.replay(channel, {
          from: 'snapshot',
          snapshotCursor: page.snapshot.cursor,
          afterKey: page.snapshot.nextKey,
        });
        snapshot.push(...page.events);
      }
      expect(page.next).toBe(cursor);
      await marker();
      const events: StoredEvent[] = [];
      for (let next = page.next as string; ; ) {
        const more = await rail.replay(channel, { after: next });
        const upTo = more.events.findIndex((event) => event.type === MARKER_TYPE);
        events.push(...(upTo === -1 ? more.events : more.events.slice(0, upTo)));
        if (upTo !== -1) break;
        next = more.next as string;
      }
      return { cursor, snapshot, events };
    },
  };
}

/** A socket's frames that are events (no `op`), as events. */
function eventsOf(frames: readonly Record<string, unknown>[]): StoredEvent[] {
  return frames.filter((frame) => !('op' in frame)) as unknown as StoredEvent[];
}

/** Splits events as they came into the snapshot's (first) and the rest, up to the marker (left out). */
export function splitSnapshot(events: readonly StoredEvent[]): { snapshot: StoredEvent[]; events: StoredEvent[] } {
  const upTo = events.findIndex((event) => event.type === MARKER_TYPE);
  const before = upTo === -1 ? events : events.slice(0, upTo);
  const first = before.findIndex((event) => event.snapshot !== true);
  const end = first === -1 ? before.length : first;
  return { snapshot: before.slice(0, end), events: before.slice(end) };
}

/**
 * The one-channel socket `<ws>/<channel>?from=snapshot`: events only, the snapshot's
 * marked, every frame's JSON with `"snapshot":true` last when it has it.
 */
export function oneChannelSnapshotProbe(wsUrl: string): SnapshotProbe {
  return async (channel, marker) => {
    const socket = connect(`${wsUrl}/${channel}?from=snapshot`);
    const refused = socket.closed.then((closed) => closed.reason);
    const opened = await socket.opened.then(
      () => true,
      () => false,
    );
    if (!opened) return { error: await refused };
    await marker();
    const outcome = await Promise.race([
      socket.until((frames) => frames.some((frame) => frame.type === MARKER_TYPE), 'the marker').then(() => undefined),
      refused,
    ]);
    socket.ws.close();
    if (outcome !== undefined) return { error: outcome };
    for (const frame of socket.frames) {
      if (frame.includes('"snapshot"')) expect(frame.endsWith(',"snapshot":true}')).toBe(true);
    }
    return { cursor: null, ...splitSnapshot(eventsOf(socket.json())) };
  };
}

/**
 * The multiplexed socket's `{"op":"subscribe","from":"snapshot"}`: `subscribed`
 * first, saying `snapshot: true` with the cursor, the snapshot's events, the rest,
 * and `live` after the snapshot.
 */
export function multiplexedSnapshotProbe(wsUrl: string): SnapshotProbe {
  return async (channel, marker) => {
    const socket = connect(wsUrl);
    await socket.opened;
    socket.ws.send(JSON.stringify({ op: 'subscribe', channel, from: 'snapshot' }));
    await socket.until((frames) => frames.some((frame) => frame.op === 'error' || frame.op === 'subscribed'));
    const refusal = socket.json().find((frame) => frame.op === 'error');
    if (refusal !== undefined) {
      socket.ws.close();
      return { error: refusal.code as string };
    }
    await marker();
    await socket.until(
      (frames) => frames.some((frame) => frame.type === MARKER_TYPE) && frames.some((frame) => frame.op === 'live'),
      'the marker and live',
    );
    socket.ws.close();
    const frames = socket.json();
    const subscribed = frames[0] as Record<string, unknown>;
    expect(subscribed).toEqual({ op: 'subscribed', channel, cursor: expect.any(String), snapshot: true });
    const live = frames.findIndex((frame) => frame.op === 'live');
    const lastSnapshot = frames.findLastIndex((frame) => frame.snapshot === true);
    expect(live).toBeGreaterThan(lastSnapshot);
    expect(frames.filter((frame) => 'op' in frame).map((frame) => frame.op)).toEqual(['subscribed', 'live']);
    return { cursor: subscribed.cursor as string, ...splitSnapshot(eventsOf(frames)) };
  };
}
