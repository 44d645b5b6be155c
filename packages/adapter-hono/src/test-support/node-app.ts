import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import type { ReplayRail } from '@replayrail/core';
import type { StartTransport } from '@replayrail/testkit';
import { Hono } from 'hono';
import { createReplayRailRoutes } from '../index.js';
import type { ReplayRailRoutesOptions } from '../options.js';

/** The routes on a real Node HTTP server (`@hono/node-server` + `@hono/node-ws`) on a loopback port. */
export interface RunningApp {
  readonly base: string;
  readonly routes: ReturnType<typeof createReplayRailRoutes>;
  close(): Promise<void>;
}

export async function startApp(
  rail: ReplayRail,
  options: Omit<ReplayRailRoutesOptions, 'rail' | 'upgradeWebSocket' | 'webSocketServer'> = {},
): Promise<RunningApp> {
  const app = new Hono();
  const nodeWs = createNodeWebSocket({ app });
  const routes = createReplayRailRoutes({
    rail,
    upgradeWebSocket: nodeWs.upgradeWebSocket,
    webSocketServer: nodeWs.wss,
    ...options,
  });
  app.route('/', routes.app);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  nodeWs.injectWebSocket(server);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    routes,
    async close() {
      await routes.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Streams still open (SSE) would hold close() forever.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

/** The Hono adapter as a transport of the shared socket suite. */
export const honoTransport: StartTransport = async (rail, options) => {
  const { authorize, ...rest } = options;
  const running = await startApp(rail, {
    ...rest,
    ...(authorize && {
      authorize: ({ request, channel }) => authorize((name) => request.req.header(name), channel),
    }),
  });
  return {
    url: `${running.base.replace('http', 'ws')}/ws`,
    connections: () => running.routes.connections,
    close: () => running.close(),
  };
};
