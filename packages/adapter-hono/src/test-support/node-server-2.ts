import type { AddressInfo } from 'node:net';
import type { StartTransport } from '@replayrail/testkit';
import { Hono } from 'hono';
import { serve, upgradeWebSocket, type WebSocketServerLike } from 'hono-node-server-2';
import { WebSocketServer } from 'ws';
import { createReplayRailRoutes } from '../index.js';

/**
 * The adapter on @hono/node-server 2's own WebSocket support: the app makes the
 * `WebSocketServer` (so it sets the frame limit itself, or passes it to the adapter).
 */
export const nodeServer2Transport: StartTransport = async (rail, options) => {
  const { authorize, ...rest } = options;
  const wss = new WebSocketServer({ noServer: true });
  const routes = createReplayRailRoutes({
    rail,
    upgradeWebSocket,
    webSocketServer: wss,
    ...rest,
    ...(authorize && {
      authorize: ({ request, channel }) => authorize((name) => request.req.header(name), channel),
    }),
  });
  const app = new Hono();
  app.route('/', routes.app);
  // ws's options type has `noServer?: boolean`; theirs wants `boolean` (only under exactOptionalPropertyTypes).
  const server = serve({
    fetch: app.fetch,
    port: 0,
    hostname: '127.0.0.1',
    websocket: { server: wss as unknown as WebSocketServerLike },
  });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    connections: () => routes.connections,
    async close() {
      await routes.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
};
