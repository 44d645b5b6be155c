import type { AddressInfo, Socket } from 'node:net';
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
  // @hono/node-server 2 leaves an upgrade other than websocket unanswered, and its
  // socket unread (so never closed): close() ends what is still open after a second.
  // (Watched through 'connection': another 'upgrade' listener would change how it answers.)
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    connections: () => routes.connections,
    async close() {
      await routes.close();
      const stragglers = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, 1_000);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(stragglers);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
};
