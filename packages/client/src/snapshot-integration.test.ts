import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import { createReplayRailRoutes } from '@replayrail/adapter-hono';
import { type ChannelPolicy, ReplayRail } from '@replayrail/core';
import { ReplayRailWebSocketServer } from '@replayrail/server-ws';
import { MemoryEventStore } from '@replayrail/store-memory';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type ClientOptions, createClient } from './client.js';
import { type CursorStorage, memoryStorage } from './storage.js';
import type { Transport } from './test-support/server-control.js';
import type { ClientError, ClientEvent, ClientState } from './types.js';

// A board whose stored cursor fell out of retention, against real servers on the
// memory store (its clock moved by hand, so retention by age trims on the next
// publish): with onExpired 'snapshot' it ends exactly as a board opened fresh from
// the snapshot; with 'error' it reports the expiry and goes on from latest.

const CHANNEL = 'restaurant:1:orders';
const POLICY: ChannelPolicy = {
  match: 'restaurant:*:orders',
  maxStreamAge: 1_000,
  state: { key: 'order_id', tombstones: ['order.deleted'] },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function startServer(transport: Transport, rail: ReplayRail): Promise<{ port: number; close(): Promise<void> }> {
  if (transport === 'server-ws') {
    const server = new ReplayRailWebSocketServer({ rail });
    return { port: await server.listen(0), close: () => server.close() };
  }
  const app = new Hono();
  const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
  const routes = createReplayRailRoutes({ rail, upgradeWebSocket, webSocketServer: wss });
  app.route('/', routes.app);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  injectWebSocket(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await routes.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Memory storage that records every cursor written to it. */
function recordingStorage(): CursorStorage & { written: (string | null)[] } {
  const storage = memoryStorage();
  const written: (string | null)[] = [];
  return {
    written,
    get: (channel) => storage.get(channel),
    set: (channel, cursor) => {
      written.push(cursor);
      return storage.set(channel, cursor);
    },
  };
}

type Orders = Record<string, string>;

/** A board of orders (id → latest type), kept by a client from one channel; `saved` is what an app would have saved beside its cursor. */
function openBoard(
  connection: Pick<ClientOptions, 'url' | 'single'>,
  storage: CursorStorage,
  options: { from?: 'earliest' | 'snapshot'; onExpired?: 'snapshot' | 'error' },
  saved: Orders = {},
) {
  const client = createClient({ ...connection, storage, WebSocket: globalThis.WebSocket, heartbeatMs: 0 });
  const orders: Orders = { ...saved };
  const errors: ClientError[] = [];
  const states: ClientState[] = [];
  const snapshotIds: string[] = [];
  let resets = 0;
  client.on('error', (error) => errors.push(error));
  client.on('state', (state) => states.push(state));
  const subscription = client.subscribe(
    CHANNEL,
    (event: ClientEvent) => {
      if (event.snapshot) snapshotIds.push(event.id);
      const id = String(event.payload.order_id);
      if (event.type === 'order.deleted') delete orders[id];
      else orders[id] = event.type;
    },
    {
      ...options,
      reset: () => {
        resets++;
        for (const id of Object.keys(orders)) delete orders[id];
      },
    },
  );
  return { client, subscription, orders, errors, states, snapshotIds, resets: () => resets };
}

const TRANSPORTS: Transport[] = ['server-ws', 'adapter-hono'];

for (const transport of TRANSPORTS) {
  for (const single of [false, true]) {
    describe(`${transport}, ${single ? 'the one-channel URL' : 'the multiplexed socket'}`, () => {
      it('recovers an expired cursor through the snapshot; with error, reports the expiry', async () => {
        let now = Date.parse('2026-11-23T12:00:00Z');
        const rail = new ReplayRail({
          store: new MemoryEventStore({ now: () => now }),
          config: { channels: [POLICY] },
        });
        const server = await startServer(transport, rail);
        const base = `ws://127.0.0.1:${server.port}/ws`;
        const connection = single ? { url: `${base}/${CHANNEL}`, single } : { url: base };
        const publish = (type: string, order: string) =>
          rail.publish({ channel: CHANNEL, type, payload: { order_id: order } });
        const boards: ReturnType<typeof openBoard>[] = [];
        try {
          await publish('order.created', 'ord_1');
          await publish('order.created', 'ord_2');
          const e3 = await publish('order.ready', 'ord_1');
          // A board that saw all three, and saved them with its cursor.
          const storage = recordingStorage();
          const first = openBoard(connection, storage, { from: 'earliest', onExpired: 'snapshot' });
          boards.push(first);
          await until(() => storage.get(CHANNEL) === e3.id, 'the first board to keep its cursor');
          const saved = { ...first.orders };
          expect(saved).toEqual({ ord_1: 'order.ready', ord_2: 'order.created' });
          first.client.close();

          // While it is closed: ord_2 is deleted, ord_3 comes and goes, and retention by
          // age trims everything the saved cursor pointed into.
          await publish('order.deleted', 'ord_2');
          await publish('order.created', 'ord_3');
          now += 10_000;
          await publish('order.created', 'ord_4');
          const last = await publish('order.deleted', 'ord_3');
          const expected = { ord_1: 'order.ready', ord_4: 'order.created' };

          const written = storage.written.length;
          const reopened = openBoard(connection, storage, { from: 'earliest', onExpired: 'snapshot' }, saved);
          const fresh = openBoard(connection, recordingStorage(), { from: 'snapshot' });
          boards.push(reopened, fresh);
          await until(
            () => isDeepStrictEqual(reopened.orders, expected) && isDeepStrictEqual(fresh.orders, expected),
            'both boards to show the snapshot',
          );
          expect(reopened.errors.map((error) => error.code)).toEqual(['replay_window_expired']);
          expect(reopened.resets()).toBe(1);
          expect(fresh.resets()).toBe(1);
          expect(reopened.snapshotIds).toEqual(fresh.snapshotIds);
          expect(new Set(reopened.snapshotIds)).toEqual(new Set([e3.id, (await rail.stateOf(CHANNEL, 'ord_4'))?.id]));
          if (!single) {
            // The snapshot's own cursor once it is complete; never a snapshot event's ID.
            await until(() => storage.get(CHANNEL) === last.id, 'the snapshot cursor to be kept');
            // Forgotten at the expiry, and again as the snapshot starts; then its cursor.
            expect(storage.written.slice(written)).toEqual([null, null, last.id]);
          }

          // Live from there, on both alike; the cursor moves on.
          const live = await publish('order.created', 'ord_5');
          await until(() => storage.get(CHANNEL) === live.id, 'the live event');
          await until(() => fresh.orders.ord_5 !== undefined, 'the live event on the fresh board');
          expect(reopened.orders).toEqual(fresh.orders);
          expect(storage.written.slice(written).filter((id) => reopened.snapshotIds.includes(id ?? ''))).toEqual([]);

          // onExpired 'error': the same expired cursor is reported, the board is left as
          // it was saved, and the subscription goes on from latest.
          const stale = recordingStorage();
          stale.set(CHANNEL, e3.id);
          const reported = openBoard(connection, stale, { from: 'earliest', onExpired: 'error' }, saved);
          boards.push(reported);
          await until(() => reported.errors.length > 0, 'the expiry to be reported');
          expect(reported.errors.map((error) => [error.code, error.channel])).toEqual([
            ['replay_window_expired', CHANNEL],
          ]);
          // Subscribed again from latest: live on the multiplexed socket; on the one-channel
          // URL, open again (its start is fixed before the socket opens).
          if (!single) await until(() => reported.subscription.state === 'live', 'the new subscription');
          else await until(() => reported.states.join() === 'open,reconnecting,open', 'the new connection');
          expect(stale.written.slice(0, 2)).toEqual([e3.id, null]);
          const after = await publish('order.created', 'ord_6');
          await until(() => stale.get(CHANNEL) === after.id, 'the event after the expiry');
          expect(reported.orders).toEqual({ ...saved, ord_6: 'order.created' });
          expect(reported.resets()).toBe(0);
          expect(reported.snapshotIds).toEqual([]);
        } finally {
          for (const board of boards) board.client.close();
          await server.close();
          await rail.close();
        }
      });

      it('ends a snapshot subscription to a channel that keeps no state, as the server refuses it', async () => {
        const rail = new ReplayRail({ store: new MemoryEventStore(), config: { channels: [POLICY] } });
        const server = await startServer(transport, rail);
        const base = `ws://127.0.0.1:${server.port}/ws`;
        const plain = 'restaurant:1:notes';
        const connection = single ? { url: `${base}/${plain}`, single } : { url: base };
        const client = createClient({ ...connection, storage: memoryStorage(), WebSocket: globalThis.WebSocket });
        const ended: ClientError[] = [];
        try {
          client.subscribe(plain, () => {}, { from: 'snapshot', onError: (error) => ended.push(error) });
          // The multiplexed socket refuses the subscription; the one-channel URL closes with 4400, which stops the client.
          await until(() => (single ? client.state === 'closed' : ended.length > 0), 'the refusal');
          const refusal = single ? client.lastError : ended[0];
          expect(refusal).toMatchObject({ code: 'invalid_request', ...(single && { closeCode: 4400 }) });
        } finally {
          client.close();
          await server.close();
          await rail.close();
        }
      });
    });
  }
}
