import { describe, expect, it } from 'vitest';
import { compareCursors, isCursor, parseCursor } from '../cursor.js';
import type { StoredEvent } from '../types.js';
import type { ConformanceContext } from './context.js';
import { ids, nextMillisecond } from './context.js';

const CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/;

export function publishReplayTests(ctx: () => ConformanceContext): void {
  describe('publish and replay', () => {
    it('stores the envelope and replays it unchanged', async () => {
      const rail = ctx().rail();
      const event = await rail.publish({
        channel: 'restaurant:123:orders',
        type: 'order.created',
        payload: { order_id: 'ord_123', items: [{ sku: 'x', qty: 2 }], note: 'café ☕ 🍕', total: 12.5 },
        actor: { type: 'waiter', id: 'usr_123' },
        metadata: { correlation_id: 'req_abc123' },
      });
      expect(isCursor(event.id)).toBe(true);
      expect(event.event_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.created_at).toMatch(CREATED_AT);
      expect(event).toEqual({
        id: event.id,
        event_id: event.event_id,
        channel: 'restaurant:123:orders',
        type: 'order.created',
        payload: { order_id: 'ord_123', items: [{ sku: 'x', qty: 2 }], note: 'café ☕ 🍕', total: 12.5 },
        actor: { type: 'waiter', id: 'usr_123' },
        metadata: { correlation_id: 'req_abc123' },
        created_at: event.created_at,
      });
      const page = await rail.replay('restaurant:123:orders', { after: '0-0' });
      expect(page).toEqual({ events: [event], next: event.id, hasMore: false });
    });

    it('defaults actor to null and metadata to {}, and keeps created_at exactly', async () => {
      const rail = ctx().rail();
      const plain = await rail.publish({ channel: 'c', type: 't', payload: {} });
      const micro = await rail.publish({
        channel: 'c',
        type: 't',
        payload: {},
        createdAt: '2026-06-29T12:00:00.123456Z',
      });
      const whole = await rail.publish({
        channel: 'c',
        type: 't',
        payload: {},
        createdAt: new Date('2026-06-29T12:00:00Z'),
      });
      expect(plain.actor).toBeNull();
      expect(plain.metadata).toEqual({});
      const { events } = await rail.replay('c');
      expect(events.map((event) => event.created_at)).toEqual([
        plain.created_at,
        '2026-06-29T12:00:00.123456Z',
        '2026-06-29T12:00:00Z',
      ]);
      expect(events).toEqual([plain, micro, whole]);
    });

    it('gives strictly increasing cursors and reports the latest', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      expect(await rail.latestCursor('counter')).toBe('0-0');
      const events = await publishMany(rail, 'counter', 30);
      for (let i = 1; i < events.length; i++) {
        expect(compareCursors((events[i - 1] as StoredEvent).id, (events[i] as StoredEvent).id)).toBeLessThan(0);
      }
      expect(await rail.latestCursor('counter')).toBe(events[29]?.id);
    });

    it('pages through a channel with next and hasMore', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      const events = await publishMany(rail, 'paged', 25);
      const first = await rail.replay('paged', { limit: 10 });
      expect(ids(first.events)).toEqual(ids(events.slice(0, 10)));
      expect(first).toMatchObject({ next: events[9]?.id, hasMore: true });
      const second = await rail.replay('paged', { after: first.next as string, limit: 10 });
      expect(ids(second.events)).toEqual(ids(events.slice(10, 20)));
      expect(second.hasMore).toBe(true);
      const third = await rail.replay('paged', { after: second.next as string, limit: 10 });
      expect(ids(third.events)).toEqual(ids(events.slice(20)));
      expect(third).toMatchObject({ next: events[24]?.id, hasMore: false });
      const empty = await rail.replay('paged', { after: third.next as string, limit: 10 });
      expect(empty).toEqual({ events: [], next: events[24]?.id, hasMore: false });
      const exact = await rail.replay('paged', { after: events[14]?.id as string, limit: 10 });
      expect(ids(exact.events)).toEqual(ids(events.slice(15, 25)));
      // A full page says more may follow; the next page is empty.
      expect(exact.hasMore).toBe(true);
    });

    it('uses the default replay limit from the config', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ defaultReplayLimit: 4 });
      await publishMany(rail, 'defaults', 6);
      const page = await rail.replay('defaults');
      expect(page.events).toHaveLength(4);
      expect(page.hasMore).toBe(true);
    });

    it('resolves $ to the latest cursor: nothing old, a cursor naming a real entry', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      const events = await publishMany(rail, 'live', 3);
      expect(await rail.replay('live', { after: '$' })).toEqual({ events: [], next: events[2]?.id, hasMore: false });
      expect(await rail.replay('empty-live', { after: '$' })).toEqual({ events: [], next: '0-0', hasMore: false });
    });

    it('replays since a time: the first event at or after it', async () => {
      const rail = ctx().rail();
      const early = await rail.publish({ channel: 'timed', type: 't', payload: { n: 0 } });
      await nextMillisecond(early);
      const later = await rail.publish({ channel: 'timed', type: 't', payload: { n: 1 } });
      const last = await rail.publish({ channel: 'timed', type: 't', payload: { n: 2 } });
      const laterMs = Number(parseCursor(later.id).ms);
      expect(laterMs).toBeGreaterThan(Number(parseCursor(early.id).ms));
      const page = await rail.replay('timed', { since: new Date(laterMs) });
      expect(ids(page.events)).toEqual([later.id, last.id]);
      expect((await rail.replay('timed', { since: new Date(0) })).events).toHaveLength(3);
      expect((await rail.replay('timed', { since: new Date(laterMs + 60_000) })).events).toEqual([]);
      expect((await rail.replay('never-published', { since: new Date(0) })).events).toEqual([]);
    });

    it('ends a replay at until: a cursor or a time, inclusive, in pages and in replayAll', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      const events = await publishMany(rail, 'bounded', 12);
      const until = events[7]?.id as string;
      const first = await rail.replay('bounded', { until, limit: 5 });
      expect(ids(first.events)).toEqual(ids(events.slice(0, 5)));
      expect(first.hasMore).toBe(true);
      // The page that reaches `until` says so, even when it is full.
      const second = await rail.replay('bounded', { after: first.next as string, until, limit: 3 });
      expect(second).toEqual({ events: events.slice(5, 8), next: until, hasMore: false });
      expect(await rail.replay('bounded', { after: until, until })).toEqual({
        events: [],
        next: until,
        hasMore: false,
      });
      const all: StoredEvent[] = [];
      for await (const event of rail.replayAll('bounded', { after: events[2]?.id as string, until, pageSize: 2 })) {
        all.push(event);
      }
      expect(ids(all)).toEqual(ids(events.slice(3, 8)));
      // A time bound takes every event of its millisecond.
      const last = events[11] as StoredEvent;
      await nextMillisecond(last);
      const after = await rail.publish({ channel: 'bounded', type: 't', payload: {} });
      const byTime = await rail.replay('bounded', { until: new Date(Number(parseCursor(last.id).ms)), limit: 100 });
      expect(ids(byTime.events)).toEqual(ids(events));
      expect(ids(byTime.events)).not.toContain(after.id);
      // Before the start, a page is empty.
      expect(
        (await rail.replay('bounded', { after: events[9]?.id as string, until: events[4]?.id as string })).events,
      ).toEqual([]);
    });

    it('streams any length with replayAll, in bounded pages, and stops early', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      const events = await publishMany(rail, 'long', 60);
      const seen: StoredEvent[] = [];
      for await (const event of rail.replayAll('long', { pageSize: 7 })) seen.push(event);
      expect(ids(seen)).toEqual(ids(events));
      const partial: StoredEvent[] = [];
      for await (const event of rail.replayAll('long', { after: events[9]?.id as string, pageSize: 4 })) {
        partial.push(event);
        if (partial.length === 5) break;
      }
      expect(ids(partial)).toEqual(ids(events.slice(10, 15)));
      const since: StoredEvent[] = [];
      for await (const event of rail.replayAll('long', { since: new Date(0), pageSize: 25 })) since.push(event);
      expect(since).toHaveLength(60);
    });

    it('stops replayAll when its signal aborts', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      await publishMany(rail, 'aborted', 10);
      const controller = new AbortController();
      const seen: StoredEvent[] = [];
      await expect(async () => {
        for await (const event of rail.replayAll('aborted', { pageSize: 3, signal: controller.signal })) {
          seen.push(event);
          if (seen.length === 4) controller.abort(new Error('stop'));
        }
      }).rejects.toThrow('stop');
      expect(seen).toHaveLength(4);
    });

    it('keeps every concurrent publish, each once, in cursor order', async () => {
      const rail = ctx().rail();
      const published = await Promise.all(
        Array.from({ length: 200 }, (_, n) =>
          rail.publish({ channel: n % 2 === 0 ? 'even' : 'odd', type: 'test.event', payload: { n } }),
        ),
      );
      for (const channel of ['even', 'odd']) {
        const mine = published.filter((event) => event.channel === channel);
        const replayed = await ctx().all(rail, channel);
        expect(replayed).toHaveLength(100);
        expect(new Set(ids(replayed)).size).toBe(100);
        expect(ids(replayed)).toEqual(ids(mine).sort(compareCursors));
        expect(replayed).toEqual([...mine].sort((a, b) => compareCursors(a.id, b.id)));
      }
    });

    it('isolates channels and key prefixes', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      await publishMany(rail, 'a', 3);
      await publishMany(rail, 'a/b', 2);
      expect((await rail.replay('a')).events).toHaveLength(3);
      expect((await rail.replay('a/b')).events).toHaveLength(2);
      expect((await rail.replay('b')).events).toHaveLength(0);
      const other = makeRail({ streamPrefix: `${ctx().prefix}-other` });
      expect((await other.replay('a')).events).toHaveLength(0);
      expect(await other.latestCursor('a')).toBe('0-0');
    });
  });
}
