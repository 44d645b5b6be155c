import type { ReplayRailConfig, StoredEvent } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { redisStoreFixture, redisUrl, SNAPSHOT_CONFIG, type StoreFixture, storeFixture } from '@replayrail/testkit';
import { describe, expect, it } from 'vitest';
import type { ReplayRailRoutesOptions } from './options.js';
import { appHarness } from './test-support/harness.js';
import { openSse } from './test-support/sse-client.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function sseSuite(name: string, fixture: () => Promise<StoreFixture>): void {
  describe(`Server-Sent Events: ${name}`, () => {
    const startRailApp = appHarness(fixture);

    async function start(config: ReplayRailConfig = {}, options: Omit<ReplayRailRoutesOptions, 'rail'> = {}) {
      const { rail, app, appendRaw } = await startRailApp(config, options);
      return { rail, app, appendRaw, url: (path: string) => `${app.base}/events/${path}` };
    }

    it('resumes with Last-Event-ID after drops, under concurrent publishing: every event once, in order', async () => {
      const { rail, url } = await start();
      const published: StoredEvent[] = [];
      let publishing = true;
      // Another writer keeps publishing while the client drops and comes back.
      const writer = (async () => {
        for (let n = 0; publishing; n++) {
          published.push(await rail.publish({ channel: 'feed', type: 't', payload: { n } }));
          if (n % 5 === 0) await tick(1);
        }
      })();
      const received: StoredEvent[] = [];
      let lastId: string | undefined;
      for (let drop = 0; drop < 8; drop++) {
        const stream = await openSse(
          url(lastId === undefined ? 'feed?from=earliest' : 'feed'),
          lastId === undefined ? {} : { 'last-event-id': lastId },
        );
        expect(stream.status).toBe(200);
        const target = received.length + 20;
        await stream.until(() => received.length + stream.messages.length >= target, 'some events');
        stream.drop();
        await stream.ended;
        for (const message of stream.messages) {
          expect(message.event).toBe('message');
          const event = JSON.parse(message.data) as StoredEvent;
          expect(message.id).toBe(event.id);
          received.push(event);
        }
        lastId = received.at(-1)?.id;
      }
      publishing = false;
      await writer;
      // Then one last connection reads to the end.
      const last = published.at(-1) as StoredEvent;
      const tail = await openSse(url('feed'), { 'last-event-id': lastId as string });
      await tail.until(() => tail.messages.at(-1)?.id === last.id || lastId === last.id, 'the last event');
      tail.drop();
      for (const message of tail.messages) received.push(JSON.parse(message.data) as StoredEvent);
      expect(received.map((event) => event.id)).toEqual(published.map((event) => event.id));
      expect(received).toEqual(published);
    });

    it('accepts ?last_event_id= for the first connection, Last-Event-ID winning on reconnects', async () => {
      const { rail, url } = await start();
      const events: StoredEvent[] = [];
      for (let n = 0; n < 4; n++) events.push(await rail.publish({ channel: 'c', type: 't', payload: { n } }));
      const byQuery = await openSse(url(`c?last_event_id=${events[0]?.id}`));
      await byQuery.until(() => byQuery.messages.length === 3);
      byQuery.drop();
      const both = await openSse(url(`c?last_event_id=${events[0]?.id}`), { 'last-event-id': events[2]?.id as string });
      await both.until(() => both.messages.length === 1);
      expect(both.messages[0]?.id).toBe(events[3]?.id);
      both.drop();
    });

    it('names an entry it cannot decode in its place, as the last event ID, and goes on', async () => {
      const { rail, url, appendRaw } = await start();
      const good = await rail.publish({ channel: 'mixed', type: 't', payload: { n: 1 } });
      // The Python library writes float('nan') as a bare NaN, which no JSON reader takes.
      const bad = await appendRaw('mixed', {
        event_id: 'py-nan',
        channel: 'mixed',
        type: 't',
        payload: '{"value":NaN}',
        actor: 'null',
        metadata: '{}',
        created_at: '2026-06-29T12:00:00Z',
      });
      const after = await rail.publish({ channel: 'mixed', type: 't', payload: { n: 2 } });
      const stream = await openSse(url('mixed?from=earliest'));
      await stream.until(() => stream.messages.length >= 3, 'three messages');
      stream.drop();
      expect(stream.messages.map(({ event, id }) => ({ event, id }))).toEqual([
        { event: 'message', id: good.id },
        { event: 'skipped', id: bad },
        { event: 'message', id: after.id },
      ]);
      expect(JSON.parse(stream.messages[1]?.data ?? '')).toMatchObject({ code: 'serialization_error', id: bad });
      // A reconnect from the skipped entry's ID resumes after it.
      const again = await openSse(url('mixed'), { 'last-event-id': bad });
      await again.until(() => again.messages.length >= 1, 'the event after it');
      again.drop();
      expect(again.messages.map((message) => message.id)).toEqual([after.id]);
    });

    it('sends an expired event for a cursor past retention, then ends the stream', async () => {
      const { rail, url } = await start({ maxStreamLength: 2, approximateTrimming: false });
      const first = await rail.publish({ channel: 'c', type: 't', payload: {} });
      for (let n = 0; n < 4; n++) await rail.publish({ channel: 'c', type: 't', payload: { n } });
      const stream = await openSse(url('c'), { 'last-event-id': first.id });
      expect(stream.status).toBe(200);
      await stream.ended;
      expect(stream.messages).toEqual([
        { event: 'expired', data: expect.stringContaining('replay_window_expired'), id: undefined },
      ]);
    });

    it('from a snapshot: a reconnect after it resumes after its cursor, with no snapshot again', async () => {
      const { rail, url } = await start(SNAPSHOT_CONFIG);
      const channel = 'restaurant:1:orders';
      const publish = (order_id: string, type = 'order.created') =>
        rail.publish({ channel, type, payload: { order_id } });
      for (const key of ['o1', 'o2', 'o3', 'o4', 'o5']) await publish(key);
      await publish('o2', 'order.deleted');
      const stream = await openSse(url(`${channel}?from=snapshot`));
      // Idle after the snapshot: its cursor is the last event ID, though no event said so.
      await stream.until(() => stream.idOnly.length === 1, 'the snapshot cursor');
      const { cursor } = JSON.parse(stream.messages[0]?.data as string) as { cursor: string };
      expect(stream.messages.map((message) => [message.event, message.id])).toEqual([
        ['snapshot', undefined],
        ...['o1', 'o3', 'o4', 'o5'].map(() => ['message', undefined]),
      ]);
      expect(stream.idOnly).toEqual([{ id: cursor, after: 5 }]);
      expect(stream.lastEventId).toBe(cursor);
      stream.drop();
      await stream.ended;
      // What an EventSource does: its first URL again, with Last-Event-ID.
      const missed = await publish('o6');
      const resumed = await openSse(url(`${channel}?from=snapshot`), { 'last-event-id': stream.lastEventId });
      await resumed.until(() => resumed.messages.length === 1, 'the event after the snapshot');
      expect(resumed.messages.map((message) => [message.id, JSON.parse(message.data)])).toEqual([[missed.id, missed]]);
      expect(resumed.idOnly).toEqual([]);
      resumed.drop();
    });

    it('refuses a bad cursor with 400 before any stream starts', async () => {
      const { url } = await start();
      const response = await fetch(url('c'), { headers: { accept: 'text/event-stream', 'last-event-id': 'nope' } });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_cursor' } });
    });

    it('writes keep-alive comments while the stream is idle', async () => {
      const { url } = await start({}, { sseKeepAliveMs: 20 });
      const stream = await openSse(url('quiet'));
      await stream.until(
        () => stream.comments.filter((comment) => comment === 'keep-alive').length >= 3,
        'keep-alives',
      );
      expect(stream.messages).toEqual([]);
      stream.drop();
    });

    it('ends open streams on close() and lets go of their subscriptions', async () => {
      const { rail, app, url } = await start();
      const stream = await openSse(url('c'));
      await stream.until(() => stream.comments.length > 0, 'the opening comment');
      expect(app.routes.connections).toBe(1);
      await app.routes.close();
      await stream.ended;
      expect(app.routes.connections).toBe(0);
      expect(rail.liveChannels).toBe(0);
    });
  });
}

sseSuite(
  'memory store',
  storeFixture(() => new MemoryEventStore()),
);

const url = redisUrl();
if (url !== null) {
  sseSuite(
    'Redis store',
    redisStoreFixture(url, (client) => new RedisStreamStore({ client })),
  );
}
