import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { FrameCache, prepareFrame, sendPrepared } from './frame-writer.js';

// A real ws client must read frames written by sendPrepared exactly as ws.send's:
// every length encoding (7-bit, 16-bit, 64-bit), non-ASCII text, many in one tick.
describe('sendPrepared', () => {
  let wss: WebSocketServer;
  let port: number;
  const server = createServer();
  beforeAll(async () => {
    wss = new WebSocketServer({ server });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers the same messages ws.send would, in order', async () => {
    const messages = [
      '',
      'a',
      'é🍕'.repeat(10),
      'x'.repeat(125),
      'x'.repeat(126),
      'y'.repeat(65_535),
      'z'.repeat(70_000),
    ];
    const connected = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const received: string[] = [];
    const all = new Promise<void>((resolve) => {
      client.on('message', (data) => {
        received.push(data.toString());
        if (received.length === messages.length * 2) resolve();
      });
    });
    const socket = await connected;
    let sendCalls = 0;
    const send = socket.send.bind(socket);
    socket.send = ((...args: Parameters<typeof send>) => {
      sendCalls++;
      return send(...args);
    }) as typeof socket.send;
    const cache = new FrameCache();
    // Written raw, then once more through ws.send, interleaved on one socket.
    sendPrepared(socket, [cache.frame(messages[0] as string)]);
    sendPrepared(
      socket,
      messages.slice(1).map((message) => cache.frame(message)),
    );
    for (const message of messages) socket.send(message);
    await all;
    expect(received).toEqual([...messages, ...messages]);
    // The prepared frames went out raw (one, then a corked batch): only the second round used ws.send.
    expect(sendCalls).toBe(messages.length);
    client.close();
  });

  it('frames a message once for every socket that gets it', () => {
    const cache = new FrameCache();
    const text = JSON.stringify({ id: '1-0', payload: { n: 1 } });
    expect(cache.frame(text)).toBe(cache.frame(text));
    expect(prepareFrame(text).bytes.length).toBe(2 + text.length);
  });
});
