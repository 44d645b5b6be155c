import type { StoredEvent } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import {
  MARKER_TYPE,
  multiplexedSnapshotProbe,
  oneChannelSnapshotProbe,
  redisStoreFixture,
  redisUrl,
  type SnapshotProbe,
  type StoreFixture,
  snapshotSuite,
  splitSnapshot,
  storeFixture,
} from '@replayrail/testkit';
import { expect } from 'vitest';
import { startApp } from './test-support/node-app.js';
import { nodeServer2Transport } from './test-support/node-server-2.js';
import { openSse } from './test-support/sse-client.js';

// Issue #24 on every endpoint the adapter serves: both WebSocket endpoints,
// Server-Sent Events and HTTP pages (server-ws runs it on its two).

/**
 * An event stream `?from=snapshot`: an `event: snapshot` message with the cursor,
 * the snapshot's events with no `id:`, one block setting the last event ID to the
 * cursor without data, then the events after it, each with its `id:`.
 */
function sseProbe(base: string): SnapshotProbe {
  return async (channel, marker) => {
    const stream = await openSse(`${base}/events/${channel}?from=snapshot`);
    if (stream.status !== 200) {
      await stream.ended;
      return { error: (JSON.parse(stream.text()) as { error: { code: string } }).error.code };
    }
    await marker();
    const isMarker = (data: string) => (JSON.parse(data) as StoredEvent).type === MARKER_TYPE;
    await stream.until(() => stream.messages.some((message) => message.event === 'message' && isMarker(message.data)));
    stream.drop();
    const [opening, ...rest] = stream.messages;
    expect(opening).toEqual({ event: 'snapshot', data: expect.any(String), id: undefined });
    const { cursor } = JSON.parse(opening?.data as string) as { cursor: string };
    expect(rest.every((message) => message.event === 'message')).toBe(true);
    const { snapshot, events } = splitSnapshot(rest.map((message) => JSON.parse(message.data) as StoredEvent));
    // Not a cursor: no `id:` on the snapshot's events; the cursor right after them.
    expect(rest.slice(0, snapshot.length).map((message) => message.id)).toEqual(snapshot.map(() => undefined));
    expect(stream.idOnly).toEqual([{ id: cursor, after: 1 + snapshot.length }]);
    expect(rest.slice(snapshot.length).map((message) => message.id)).toEqual(
      rest.slice(snapshot.length).map((message) => (JSON.parse(message.data) as StoredEvent).id),
    );
    return { cursor, snapshot, events };
  };
}

interface PageBody {
  events: StoredEvent[];
  next: string | null;
  has_more: boolean;
  snapshot?: { cursor: string; next_key: string | null };
  error?: { code: string };
}

/**
 * Pages `?from=snapshot`, going on with `snapshot_cursor` and `after_key` while
 * `snapshot.next_key` is not null, then with `after=<next>` up to the marker.
 */
function pageProbe(base: string): SnapshotProbe {
  return async (channel, marker) => {
    const get = async (query: Record<string, string>) => {
      const response = await fetch(`${base}/events/${channel}?${new URLSearchParams(query)}`);
      return { status: response.status, body: (await response.json()) as PageBody };
    };
    let page = await get({ from: 'snapshot' });
    if (page.status !== 200) return { error: page.body.error?.code ?? String(page.status) };
    const cursor = page.body.snapshot?.cursor as string;
    const snapshot = [...page.body.events];
    for (;;) {
      expect(Object.keys(page.body)).toEqual(['events', 'next', 'has_more', 'snapshot']);
      const nextKey = page.body.snapshot?.next_key ?? null;
      expect(page.body).toMatchObject({ next: nextKey === null ? cursor : null, has_more: true, snapshot: { cursor } });
      if (nextKey === null) break;
      page = await get({ from: 'snapshot', snapshot_cursor: cursor, after_key: nextKey });
      expect(page.status).toBe(200);
      snapshot.push(...page.body.events);
    }
    await marker();
    const events: StoredEvent[] = [];
    for (let next = cursor; ; ) {
      const more = await get({ after: next });
      expect(more.body.snapshot).toBeUndefined();
      const upTo = more.body.events.findIndex((event) => event.type === MARKER_TYPE);
      events.push(...(upTo === -1 ? more.body.events : more.body.events.slice(0, upTo)));
      if (upTo !== -1) break;
      next = more.body.next as string;
    }
    return { cursor, snapshot, events };
  };
}

function onHono(name: string, fixture: () => Promise<StoreFixture>): void {
  snapshotSuite(name, fixture, async (rail) => {
    const app = await startApp(rail);
    const ws = `${app.base.replace('http', 'ws')}/ws`;
    return {
      probes: {
        'one-channel WebSocket': oneChannelSnapshotProbe(ws),
        'multiplexed WebSocket': multiplexedSnapshotProbe(ws),
        'Server-Sent Events': sseProbe(app.base),
        'HTTP page': pageProbe(app.base),
      },
      close: () => app.close(),
    };
  });
}

// The sockets again over @hono/node-server 2's own WebSocket support.
function onNodeServer2(name: string, fixture: () => Promise<StoreFixture>): void {
  snapshotSuite(name, fixture, async (rail) => {
    const server = await nodeServer2Transport(rail, {});
    return {
      probes: {
        'one-channel WebSocket': oneChannelSnapshotProbe(server.url),
        'multiplexed WebSocket': multiplexedSnapshotProbe(server.url),
      },
      close: () => server.close(),
    };
  });
}

const memory = storeFixture(() => new MemoryEventStore());
onHono('adapter-hono on @replayrail/adapter-hono/node, memory store', memory);
onNodeServer2('adapter-hono on @hono/node-server 2, memory store', memory);

const url = redisUrl();
if (url !== null) {
  const redis = redisStoreFixture(url, (client) => new RedisStreamStore({ client }));
  onHono('adapter-hono on @replayrail/adapter-hono/node, Redis store', redis);
  onNodeServer2('adapter-hono on @hono/node-server 2, Redis store', redis);
}
