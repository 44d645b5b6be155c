import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createNodeWebSocket as honoNodeWs } from '@hono/node-ws';
import type { ReplayRail } from '@replayrail/core';
import type { StartTransport } from '@replayrail/testkit';
import { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { createReplayRailRoutes } from '../index.js';
import { createNodeWebSocket } from '../node-websocket.js';
import type { FrameLimitHolder, ReplayRailRoutesOptions } from '../options.js';

/** A Node WebSocket helper for Hono: the adapter's (`/node`) or `@hono/node-ws`'s, the same shape. */
export type NodeWebSocketHelper = (init: { app: Hono }) => {
  upgradeWebSocket: UpgradeWebSocket<unknown>;
  injectWebSocket(server: ReturnType<typeof serve>): void;
  wss: FrameLimitHolder;
};

/** The helpers the suites run on, by the name their titles give. */
export const NODE_HELPERS: Record<string, NodeWebSocketHelper> = {
  '@replayrail/adapter-hono/node': createNodeWebSocket,
  '@hono/node-ws': honoNodeWs,
};

/** The routes on a real Node HTTP server (`@hono/node-server` + a WebSocket helper) on a loopback port. */
export interface RunningApp {
  readonly base: string;
  readonly routes: ReturnType<typeof createReplayRailRoutes>;
  close(): Promise<void>;
}

export async function startApp(
  rail: ReplayRail,
  options: Omit<ReplayRailRoutesOptions, 'rail' | 'upgradeWebSocket' | 'webSocketServer'> = {},
  helper: NodeWebSocketHelper = createNodeWebSocket,
): Promise<RunningApp> {
  const app = new Hono();
  const nodeWs = helper({ app });
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

/** The Hono adapter on `helper` as a transport of the shared suites. */
export function honoTransportOn(helper: NodeWebSocketHelper): StartTransport {
  return async (rail, options) => {
    const { authorize, ...rest } = options;
    const running = await startApp(
      rail,
      {
        ...rest,
        ...(authorize && {
          authorize: ({ request, channel }) => authorize((name) => request.req.header(name), channel),
        }),
      },
      helper,
    );
    return {
      url: `${running.base.replace('http', 'ws')}/ws`,
      connections: () => running.routes.connections,
      close: () => running.close(),
    };
  };
}

/** The Hono adapter on its own Node helper, as the README sets it up. */
export const honoTransport: StartTransport = honoTransportOn(createNodeWebSocket);
