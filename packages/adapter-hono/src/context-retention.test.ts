import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serve } from '@hono/node-server';
import { createNodeWebSocket as honoNodeWs } from '@hono/node-ws';
import { ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { connect, type TestSocket } from '@replayrail/testkit';
import { type Context, Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createReplayRailRoutes } from './index.js';
import { createNodeWebSocket } from './node-websocket.js';
import type { NodeWebSocketHelper } from './test-support/node-app.js';

// An idle socket must not hold its upgrade's Hono `Context` (and with it the
// `Request`, its headers and Node's `IncomingMessage`): the README's "WebSockets on
// Node". Each upgrade's context is watched through a WeakRef; after the sockets are
// open and the heap collected, none may be left. @hono/node-ws keeps every one (its
// listeners close over it), which the last test shows, so this check can tell.

// The test process runs without --expose-gc: the flag is set now, and `gc` taken
// from a fresh context, where V8 installs it.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SOCKETS = 5;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Collects until only what is reachable is left (a WeakRef read in a turn holds its target to the turn's end). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * An app on `helper` whose WebSocket upgrades' contexts are watched: `routes`, the
 * adapter's routes; otherwise a bare route whose events keep nothing themselves.
 */
async function start(
  helper: NodeWebSocketHelper,
  routes: boolean,
): Promise<{ ws: string; contexts: WeakRef<Context>[]; rail: ReplayRail }> {
  const contexts: WeakRef<Context>[] = [];
  const app = new Hono();
  app.use('/ws/*', async (c, next) => {
    contexts.push(new WeakRef(c));
    await next();
  });
  const nodeWs = helper({ app });
  const rail = new ReplayRail({ store: new MemoryEventStore() });
  const served = routes
    ? createReplayRailRoutes({ rail, upgradeWebSocket: nodeWs.upgradeWebSocket, webSocketServer: nodeWs.wss })
    : undefined;
  if (served) app.route('/', served.app);
  else
    app.get(
      '/ws/:channel',
      nodeWs.upgradeWebSocket(() => ({ onOpen: (_event, ws) => ws.send('{}') })),
    );
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  nodeWs.injectWebSocket(server);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  closers.push(async () => {
    await served?.close();
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rail.close();
  });
  if (served) {
    // Something to receive, so each socket is seen to be served once open.
    await rail.publish({ channel: 'orders', type: 'order.created', payload: { id: 1 } });
  }
  return { ws: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`, contexts, rail };
}

/** Opens `SOCKETS` one-channel sockets, each served (one frame in), and collects. */
async function openIdle(ws: string): Promise<TestSocket[]> {
  const sockets: TestSocket[] = [];
  closers.push(async () => {
    for (const socket of sockets) socket.ws.terminate();
  });
  for (let i = 0; i < SOCKETS; i++) {
    const socket = connect(`${ws}/orders?from=earliest`);
    sockets.push(socket);
    await socket.opened;
    await socket.until((frames) => frames.length === 1, 'the first frame');
  }
  await collect();
  return sockets;
}

const alive = (contexts: WeakRef<Context>[]): number => contexts.filter((ref) => ref.deref() !== undefined).length;

describe('what an open socket keeps of its upgrade, on Node', () => {
  it("@replayrail/adapter-hono/node, the adapter's one-channel endpoint: no Context", async () => {
    const { ws, contexts, rail } = await start(createNodeWebSocket, true);
    const sockets = await openIdle(ws);
    expect(contexts).toHaveLength(SOCKETS);
    expect(alive(contexts)).toBe(0);
    // Still served: an event published now reaches every socket.
    await rail.publish({ channel: 'orders', type: 'order.ready', payload: { id: 1 } });
    for (const socket of sockets) await socket.until((frames) => frames.length === 2, 'the second event');
  });

  it('@replayrail/adapter-hono/node, a bare route: no Context', async () => {
    const { ws, contexts } = await start(createNodeWebSocket, false);
    await openIdle(ws);
    expect(contexts).toHaveLength(SOCKETS);
    expect(alive(contexts)).toBe(0);
  });

  it("@hono/node-ws keeps every socket's Context, on a bare route and under the adapter (the upstream cause)", async () => {
    const bare = await start(honoNodeWs, false);
    await openIdle(bare.ws);
    expect(alive(bare.contexts)).toBe(SOCKETS);
    const adapter = await start(honoNodeWs, true);
    await openIdle(adapter.ws);
    expect(alive(adapter.contexts)).toBe(SOCKETS);
  });
});
