import type { AddressInfo } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { serve } from '@hono/node-server';
import { rawRequest, UPGRADE_HEADERS } from '@replayrail/testkit';
import { Hono } from 'hono';
import type { WSEvents } from 'hono/ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createNodeWebSocket, type NodeUpgradeOptions } from './node-websocket.js';

// The adapter's Node helper on its own, with a bare Hono route: what a user of
// `@hono/node-ws` relies on, and what it does differently (nothing of the request kept).

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** What the events of every socket saw, in order. */
type Seen = (string | { message: string | ArrayBuffer } | { close: number; reason: string })[];

async function start(
  events: (seen: Seen) => WSEvents,
  options?: NodeUpgradeOptions,
  setUp?: (app: Hono) => void,
): Promise<{ port: number; seen: Seen; wss: ReturnType<typeof createNodeWebSocket>['wss'] }> {
  const app = new Hono();
  const seen: Seen = [];
  const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
  setUp?.(app);
  app.get(
    '/ws',
    upgradeWebSocket(() => events(seen), options),
  );
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  injectWebSocket(server);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  closers.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, seen, wss };
}

/** Events that record what they see; `onOpen` greets the client with the URL it saw. */
const recording = (seen: Seen): WSEvents => ({
  onOpen: (_event, ws) => {
    seen.push('open');
    ws.send(`hello ${ws.url?.pathname}${ws.url?.search} ${ws.readyState}`);
  },
  onMessage: (event, ws) => {
    seen.push({ message: event.data as string | ArrayBuffer });
    if (event.data === 'bye') ws.close(4000, 'as asked');
  },
  onClose: (event) => {
    const close = event as CloseEvent;
    seen.push({ close: close.code, reason: close.reason });
  },
});

function open(url: string): Promise<{ ws: WebSocket; received: string[] }> {
  const ws = new WebSocket(url);
  const received: string[] = [];
  ws.on('message', (data) => received.push(String(data)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, received }));
    ws.once('error', reject);
  });
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
};

describe('createNodeWebSocket (@replayrail/adapter-hono/node)', () => {
  it('opens, hands over text and binary messages, and closes, as @hono/node-ws does', async () => {
    const { port, seen } = await start(recording);
    const { ws, received } = await open(`ws://127.0.0.1:${port}/ws?x=1`);
    await until(() => received.length === 1);
    expect(received).toEqual(['hello /ws?x=1 1']);
    ws.send('text');
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('bye');
    const closed = await new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, String(reason)])),
    );
    expect(closed).toEqual([4000, 'as asked']);
    await until(() => seen.length === 5);
    expect(seen.slice(0, 2)).toEqual(['open', { message: 'text' }]);
    const binary = seen[2] as { message: ArrayBuffer };
    expect(binary.message).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(binary.message)]).toEqual([1, 2, 3]);
    expect(seen.slice(3)).toEqual([{ message: 'bye' }, { close: 4000, reason: 'as asked' }]);
  });

  it('hands a frame sent in the handshake packet itself to onMessage, after onOpen', async () => {
    const { port, seen } = await start(recording);
    const payload = Buffer.from('early');
    const mask = Buffer.from([1, 2, 3, 4]);
    // A masked text frame (FIN, opcode 1), as a client sends it.
    const frame = Buffer.concat([
      Buffer.from([0x81, 0x80 | payload.length]),
      mask,
      payload.map((byte, i) => byte ^ (mask[i % 4] as number)),
    ]);
    const head = Object.entries(UPGRADE_HEADERS)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(Buffer.concat([Buffer.from(`GET /ws HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n`), frame]));
    await until(() => seen.length === 2);
    expect(seen).toEqual(['open', { message: 'early' }]);
    socket.destroy();
  });

  it("answers an upgrade the app does not take on with the app's status, and hangs up", async () => {
    const { port, seen } = await start(recording, undefined, (app) => {
      app.use('/ws', async (c, next) => {
        if (c.req.query('deny') !== undefined) return c.text('no', 401);
        await next();
      });
    });
    const denied = await rawRequest(port, { path: '/ws?deny', headers: UPGRADE_HEADERS });
    expect(denied.status).toBe(401);
    const elsewhere = await rawRequest(port, { path: '/nowhere', headers: UPGRADE_HEADERS });
    expect(elsewhere.status).toBe(404);
    // `Upgrade: websocket` without `Connection: Upgrade` reaches the request handler,
    // which has no socket to hand `ws`: not an upgrade, whatever the route.
    const plain = await rawRequest(port, { path: '/ws', headers: { ...UPGRADE_HEADERS, connection: 'keep-alive' } });
    expect(plain.status).toBe(404);
    expect(seen).toEqual([]);
  });

  it('gives a throw from an event to onError and keeps serving the socket', async () => {
    const errors: unknown[] = [];
    const { port, seen } = await start(
      (seen) => ({
        onOpen: () => {
          seen.push('open');
          throw new Error('from onOpen');
        },
        onMessage: (event, ws) => ws.send(`echo ${event.data}`),
      }),
      { onError: (error) => errors.push(error) },
    );
    const { ws, received } = await open(`ws://127.0.0.1:${port}/ws`);
    ws.send('still here');
    await until(() => received.length === 1);
    expect(received).toEqual(['echo still here']);
    expect(seen).toEqual(['open']);
    expect(errors).toEqual([new Error('from onOpen')]);
    ws.close();
  });

  it("refuses a frame over wss's maxPayload with 1009, before the events see it", async () => {
    const { port, seen, wss } = await start(recording);
    wss.options.maxPayload = 64; // what the adapter's `webSocketServer` option does, with the rail's limit
    const { ws } = await open(`ws://127.0.0.1:${port}/ws`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(65));
    expect(await closed).toBe(1009);
    await until(() => seen.length === 2);
    expect(seen).toEqual(['open', { close: expect.any(Number), reason: '' }]);
  });
});
