import { request as httpRequest } from 'node:http';
import {
  type EventStore,
  ReplayRail,
  type ReplayRailConfig,
  type ReplayRailError,
  type StoredEvent,
  UnauthenticatedError,
} from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import {
  freePort,
  redisStoreFixture,
  redisUrl,
  SNAPSHOT_CONFIG,
  type StoreFixture,
  storeFixture,
} from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCatalog } from './index.js';
import type { ReplayRailRoutesOptions } from './options.js';
import { appHarness } from './test-support/harness.js';
import { startApp } from './test-support/node-app.js';

const catalog = defineCatalog({
  'order.created': z.object({ order_id: z.string(), total: z.number().optional() }),
  'order.ready': z.object({ order_id: z.string() }),
});

function httpSuite(name: string, fixture: () => Promise<StoreFixture>): void {
  describe(`HTTP routes: ${name}`, () => {
    const startRailApp = appHarness(fixture);

    async function start(config: ReplayRailConfig = {}, options: Omit<ReplayRailRoutesOptions, 'rail'> = {}) {
      const { rail, app } = await startRailApp(config, options);
      const post = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${app.base}/events/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      const stored = async (channel: string) => (await rail.replay(channel, { after: '0-0' })).events;
      return { rail, app, post, stored, base: app.base };
    }

    async function expectError(response: Response, status: number, code: string) {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toContain('application/json');
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body).toEqual({ error: { code, message: expect.any(String) } });
      return body.error.message;
    }

    it('publishes: 201 with the stored envelope, exactly as the Python README posts it', async () => {
      const { post, stored } = await start();
      const response = await post('restaurant:123:orders', { type: 'order.created', payload: { order_id: 'ord_123' } });
      expect(response.status).toBe(201);
      const event = (await response.json()) as StoredEvent;
      expect(Object.keys(event)).toEqual([
        'id',
        'event_id',
        'channel',
        'type',
        'payload',
        'actor',
        'metadata',
        'created_at',
      ]);
      expect(event).toMatchObject({
        channel: 'restaurant:123:orders',
        type: 'order.created',
        actor: null,
        metadata: {},
      });
      expect(await stored('restaurant:123:orders')).toEqual([event]);
    });

    it('answers a retried event_id with 200 and the first event, different content with 409', async () => {
      const { post, stored } = await start();
      const body = { type: 't', payload: { n: 1 }, event_id: 'evt-1', actor: { id: 'u1' } };
      const first = await post('c', body);
      expect(first.status).toBe(201);
      const firstEvent = await first.json();
      const retry = await post('c', body);
      expect(retry.status).toBe(200);
      expect(await retry.json()).toEqual(firstEvent);
      await expectError(await post('c', { ...body, payload: { n: 2 } }), 409, 'duplicate_event_conflict');
      // The Idempotency-Key header is the same thing.
      const keyed = { type: 't', payload: { n: 3 } };
      expect((await post('c', keyed, { 'idempotency-key': 'evt-2' })).status).toBe(201);
      expect((await post('c', keyed, { 'idempotency-key': 'evt-2' })).status).toBe(200);
      await expectError(
        await post('c', { ...keyed, event_id: 'other' }, { 'idempotency-key': 'evt-2' }),
        400,
        'invalid_request',
      );
      expect((await stored('c')).map((event) => event.event_id)).toEqual(['evt-1', 'evt-2']);
    });

    it('pages with after and limit, and says where to go on', async () => {
      const { rail, base } = await start();
      const events: StoredEvent[] = [];
      for (let n = 0; n < 5; n++) events.push(await rail.publish({ channel: 'c', type: 't', payload: { n } }));
      const first = (await (await fetch(`${base}/events/c?after=0-0&limit=2`)).json()) as {
        events: StoredEvent[];
        next: string;
        has_more: boolean;
      };
      expect(first).toEqual({ events: events.slice(0, 2), next: events[1]?.id, has_more: true });
      const rest = (await (await fetch(`${base}/events/c?after=${first.next}&limit=10`)).json()) as {
        events: StoredEvent[];
        has_more: boolean;
      };
      expect(rest.events).toEqual(events.slice(2));
      expect(rest.has_more).toBe(false);
    });

    describe('every row of the error table', () => {
      it('400: invalid channel, type, event_id, cursor, JSON, content type, body shape; nothing written', async () => {
        const { post, stored, base } = await start();
        const ok = { type: 't', payload: {} };
        await expectError(await post('bad*channel', ok), 400, 'invalid_channel');
        await expectError(await post('a%7Bb%7D', ok), 400, 'invalid_channel');
        await expectError(await post('idempotency:x', ok), 400, 'invalid_channel');
        await expectError(await post('c', { type: 'bad type', payload: {} }), 400, 'invalid_event_type');
        await expectError(await post('c', { ...ok, event_id: 'a b' }), 400, 'invalid_event_id');
        await expectError(await fetch(`${base}/events/c?after=abc`), 400, 'invalid_cursor');
        await expectError(await fetch(`${base}/events/c?limit=-1`), 400, 'invalid_request');
        const message = await expectError(await post('c', '{"type":'), 400, 'invalid_request');
        expect(message).toContain('not valid JSON');
        await expectError(await post('c', ok, { 'content-type': 'text/plain' }), 400, 'invalid_request');
        await expectError(await post('c', [1, 2]), 400, 'invalid_request');
        expect(await expectError(await post('c', { type: 't' }), 400, 'invalid_request')).toContain('payload');
        expect(await expectError(await post('c', { ...ok, extra: 1 }), 400, 'invalid_request')).toContain('extra');
        await expectError(await post('c', { ...ok, payload: { deep: nest(40) } }), 400, 'serialization_error');
        expect(await stored('c')).toEqual([]);
      });

      it('400 for a snapshot page asked wrongly: its continuation half given, given twice, or without from=snapshot', async () => {
        const { rail, base } = await start(SNAPSHOT_CONFIG);
        const channel = 'restaurant:1:orders';
        for (const order_id of ['o1', 'o2', 'o3'])
          await rail.publish({ channel, type: 'order.created', payload: { order_id } });
        const first = (await (await fetch(`${base}/events/${channel}?from=snapshot&limit=1`)).json()) as {
          snapshot: { cursor: string; next_key: string };
        };
        const { cursor, next_key: key } = first.snapshot;
        const page = (query: string) => fetch(`${base}/events/${channel}?${query}`);
        const refusals: [string, string][] = [
          [`snapshot_cursor=${cursor}&after_key=${key}`, 'invalid_request'],
          [`after=0-0&snapshot_cursor=${cursor}&after_key=${key}`, 'invalid_request'],
          [`from=snapshot&snapshot_cursor=${cursor}`, 'invalid_request'],
          [`from=snapshot&after_key=${key}`, 'invalid_request'],
          [`from=snapshot&snapshot_cursor=${cursor}&after_key=`, 'invalid_request'],
          [`from=snapshot&snapshot_cursor=${cursor}&snapshot_cursor=${cursor}&after_key=${key}`, 'invalid_request'],
          [`from=snapshot&snapshot_cursor=${cursor}&after_key=${key}&after_key=${key}`, 'invalid_request'],
          [`from=snapshot&until=${cursor}`, 'invalid_request'],
          ['from=snapshot&from=snapshot', 'invalid_request'],
          [`from=snapshot&snapshot_cursor=nope&after_key=${key}`, 'invalid_cursor'],
        ];
        for (const [query, code] of refusals) await expectError(await page(query), 400, code);
        // Asked rightly, the same request goes on where the first page ended.
        const second = (await (
          await page(`from=snapshot&snapshot_cursor=${cursor}&after_key=${key}&limit=1`)
        ).json()) as {
          events: StoredEvent[];
        };
        expect(second.events.map((event) => [event.payload.order_id, event.snapshot])).toEqual([['o2', true]]);
      });

      it('413: a body over the limit, by its declared length or as it streams, unread and unwritten', async () => {
        const { post, stored, base } = await start({}, { maxBodyBytes: 1024 });
        const big = { type: 't', payload: { text: 'x'.repeat(2000) } };
        await expectError(await post('c', big), 413, 'event_too_large');
        // Chunked, with no Content-Length: cut off once it passes the limit.
        const response = await rawPost(`${base}/events/c`, JSON.stringify(big));
        expect(response.status).toBe(413);
        expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'event_too_large' } });
        // Within the body limit but over maxEventBytes: refused by the rail.
        const { post: postSmall } = await start({ limits: { maxEventBytes: 512 } });
        await expectError(
          await postSmall('c', { type: 't', payload: { text: 'y'.repeat(600) } }),
          413,
          'event_too_large',
        );
        expect(await stored('c')).toEqual([]);
      });

      it('401 and 403 from authorize, for publish and for reads', async () => {
        const { post, stored, base } = await start(
          {},
          {
            authorize: ({ request, channel, action }) => {
              if (request.req.header('authorization') === undefined) throw new UnauthenticatedError();
              return action === 'subscribe' || !channel.startsWith('readonly');
            },
          },
        );
        const ok = { type: 't', payload: {} };
        await expectError(await post('c', ok), 401, 'unauthenticated');
        await expectError(await fetch(`${base}/events/c`), 401, 'unauthenticated');
        await expectError(await post('readonly', ok, { authorization: 'Bearer x' }), 403, 'forbidden');
        expect((await fetch(`${base}/events/readonly`, { headers: { authorization: 'Bearer x' } })).status).toBe(200);
        expect(await stored('readonly')).toEqual([]);
      });

      it('410 for a page after an expired cursor', async () => {
        const { rail, base } = await start({ maxStreamLength: 2, approximateTrimming: false });
        const first = await rail.publish({ channel: 'c', type: 't', payload: {} });
        for (let n = 0; n < 3; n++) await rail.publish({ channel: 'c', type: 't', payload: { n } });
        await expectError(await fetch(`${base}/events/c?after=${first.id}`), 410, 'replay_window_expired');
      });

      it('503 after close(), with Retry-After', async () => {
        const { app, post } = await start();
        await app.routes.close();
        const response = await post('c', { type: 't', payload: {} });
        expect(response.headers.get('retry-after')).toBe('1');
        await expectError(response, 503, 'shutting_down');
      });

      it('500 internal_error, nothing written, when authorize, beforePublish or a catalog refinement throws; the error to onError', async () => {
        const bug = new Error('database password is hunter2');
        const reported: ReplayRailError[] = [];
        const { post, stored, base } = await start(
          {},
          {
            onError: (error) => reported.push(error),
            authorize: ({ channel }) => {
              if (channel === 'authorize-bug') throw bug;
              return true;
            },
            beforePublish: (event) => {
              if (event.channel === 'hook-bug') throw bug;
              return event;
            },
            catalog: defineCatalog({
              checked: z.object({ n: z.number() }).refine(() => {
                throw bug;
              }),
              t: z.object({}),
            }),
          },
        );
        for (const [channel, type] of [
          ['authorize-bug', 't'],
          ['hook-bug', 't'],
          ['catalog-bug', 'checked'],
        ] as const) {
          const message = await expectError(await post(channel, { type, payload: { n: 1 } }), 500, 'internal_error');
          expect(message).toBe('internal error');
          expect(await stored(channel)).toEqual([]);
        }
        // Reading a page asks authorize too.
        await expectError(await fetch(`${base}/events/authorize-bug`), 500, 'internal_error');
        expect(reported.map((error) => [error.code, error.cause])).toEqual(Array(4).fill(['internal_error', bug]));
      });
    });

    describe('the event catalog', () => {
      it('refuses unknown types and payloads that fail their schema, naming the field', async () => {
        const { post, stored } = await start({}, { catalog });
        expect(
          await expectError(await post('c', { type: 'order.lost', payload: {} }), 400, 'invalid_request'),
        ).toContain('type');
        const missing = await expectError(
          await post('c', { type: 'order.created', payload: {} }),
          400,
          'invalid_request',
        );
        expect(missing).toContain('payload.order_id');
        const wrong = await expectError(
          await post('c', { type: 'order.created', payload: { order_id: 'o1', total: 'ten' } }),
          400,
          'invalid_request',
        );
        expect(wrong).toContain('payload.total');
        expect(await stored('c')).toEqual([]);
        expect((await post('c', { type: 'order.created', payload: { order_id: 'o1', total: 10 } })).status).toBe(201);
      });

      it('hands beforePublish the typed event, and stores what it returns', async () => {
        const { post, stored } = await start(
          {},
          {
            catalog,
            beforePublish: (event, c) => ({ ...event, actor: { id: c.req.header('x-user') ?? 'anonymous' } }),
          },
        );
        expect((await post('c', { type: 'order.ready', payload: { order_id: 'o1' } }, { 'x-user': 'u7' })).status).toBe(
          201,
        );
        expect((await stored('c'))[0]?.actor).toEqual({ id: 'u7' });
      });
    });
  });
}

function nest(depth: number): unknown {
  let value: unknown = {};
  for (let i = 0; i < depth; i++) value = { inner: value };
  return value;
}

/** A POST with a chunked body (no Content-Length), as a streaming client sends it. */
function rawPost(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    for (let i = 0; i < body.length; i += 256) request.write(body.slice(i, i + 256));
    request.end();
  });
}

httpSuite(
  'memory store',
  storeFixture(() => new MemoryEventStore()),
);

const url = redisUrl();
if (url !== null) {
  httpSuite(
    'Redis store',
    redisStoreFixture(url, (client) => new RedisStreamStore({ client })),
  );
}

describe('HTTP routes: store unavailable', () => {
  it('503 store_unavailable when Redis cannot be reached, and nothing crashes', async () => {
    // A real client pointed at a port where nothing listens.
    const port = await freePort();
    const client = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    client.on('error', () => {});
    const store: EventStore = new RedisStreamStore({ client, commandTimeoutMs: 500 });
    const rail = new ReplayRail({ store });
    const app = await startApp(rail);
    try {
      const response = await fetch(`${app.base}/events/c`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 't', payload: {} }),
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: 'store_unavailable' } });
    } finally {
      await app.close();
      client.disconnect();
    }
  });
});
