import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ReplayRail } from '@replayrail/core';
import { ReplayRailWebSocketServer } from '@replayrail/server-ws';
import { MemoryEventStore } from '@replayrail/store-memory';
import { connect } from '@replayrail/testkit';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createReplayRailRoutes } from './index.js';

// The README's recipe where idle sockets must weigh little: the HTTP and SSE routes on
// Hono, the WebSocket endpoints by server-ws on the same http.Server.
describe('the Hono routes with server-ws on the same server', () => {
  it('serves HTTP publish from Hono and the WebSocket endpoints from server-ws, on one port', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const app = new Hono();
    app.route('/', createReplayRailRoutes({ rail }).app);
    // @hono/node-server's serve() makes a plain Node http.Server here.
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    const sockets = new ReplayRailWebSocketServer({ rail, server });
    const { port } = server.address() as AddressInfo;
    try {
      const socket = connect(`ws://127.0.0.1:${port}/ws/orders`);
      await socket.opened;
      const response = await fetch(`http://127.0.0.1:${port}/events/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'order.created', payload: { id: 1 } }),
      });
      expect(response.status).toBe(201);
      const stored = (await response.json()) as { id: string };
      await socket.until((frames) => frames.length === 1, 'the event');
      expect(socket.json()).toEqual([expect.objectContaining({ id: stored.id, type: 'order.created' })]);
      expect(sockets.connections).toBe(1);
      socket.ws.close();
    } finally {
      await sockets.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rail.close();
    }
  });
});
