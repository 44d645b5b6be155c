import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import type * as WsModule from 'ws';
import { FrameCache, prepareFrame, writeFrames } from './frame-writer.js';

// The raw path writes under `ws`'s internals, whose shape changed within 8.x
// (`_sender._deflating` before 8.18, `_sender._state` from 8.18). Every version a
// transport may run on: the oldest 8.x, the last before the change (the lower
// bound of @hono/node-ws), the first after it, and the newest.
// Loaded by name (npm aliases of ws, installed as dev dependencies), untyped but
// for the shape every 8.x shares.
const load = (name: string) => import(name) as Promise<typeof WsModule>;
const VERSIONS: Record<string, () => Promise<typeof WsModule>> = {
  '8.0.0': () => load('ws-8.0.0'),
  '8.17.1': () => load('ws-8.17.1'),
  '8.18.0': () => load('ws-8.18.0'),
  latest: () => import('ws'),
};

const MESSAGES = ['', 'a', 'é🍕'.repeat(10), 'x'.repeat(125), 'x'.repeat(126), 'y'.repeat(65_535), 'z'.repeat(70_000)];

describe.each(Object.keys(VERSIONS))('writeFrames on ws %s', (version) => {
  it('writes raw frames a client reads exactly as what ws.send writes, in order, without calling send', async () => {
    const ws = await (VERSIONS[version] as () => Promise<typeof WsModule>)();
    const server = createServer();
    const wss = new ws.WebSocketServer({ server });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as { port: number };
    try {
      const connected = new Promise<WsModule.WebSocket>((resolve) => wss.once('connection', resolve));
      const client = new ws.WebSocket(`ws://127.0.0.1:${port}`);
      const received: string[] = [];
      const all = new Promise<void>((resolve) => {
        client.on('message', (data) => {
          received.push(data.toString());
          if (received.length === MESSAGES.length * 2) resolve();
        });
      });
      const socket = await connected;
      let sendCalls = 0;
      const send = {
        send: (text: string) => {
          sendCalls++;
          socket.send(text);
        },
      };
      const cache = new FrameCache();
      // Raw: one frame, then a corked batch; then the same through ws.send, on one socket.
      writeFrames(socket, [cache.frame(MESSAGES[0] as string)], send);
      writeFrames(
        socket,
        MESSAGES.slice(1).map((message) => cache.frame(message)),
        send,
      );
      expect(sendCalls).toBe(0);
      for (const message of MESSAGES) socket.send(message);
      await all;
      expect(received).toEqual([...MESSAGES, ...MESSAGES]);
      client.close();
    } finally {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('writeFrames and FrameCache', () => {
  it('falls back to send, in order, for anything that is not an idle ws socket', () => {
    const frames = ['a', 'b'].map(prepareFrame);
    for (const target of [
      undefined,
      {},
      { readyState: 1, _socket: { write: () => true }, _sender: { _queue: [1], _state: 0 } }, // queue not empty
      { readyState: 1, _socket: { write: () => true }, _sender: { _queue: [], _state: 1 } }, // compressing
      { readyState: 1, _socket: { write: () => true }, _sender: { _queue: [], _deflating: true } },
      { readyState: 2, _socket: { write: () => true }, _sender: { _queue: [], _state: 0 } }, // closing
    ]) {
      const sent: string[] = [];
      writeFrames(target, frames, { send: (text) => sent.push(text) });
      expect(sent).toEqual(['a', 'b']);
    }
  });

  it('frames a text once per turn for every socket, then lets it go', async () => {
    const cache = new FrameCache();
    const text = JSON.stringify({ id: '1-0', payload: { n: 'é' } });
    const first = cache.frame(text);
    expect(cache.frame(text)).toBe(first);
    expect(first.bytes.length).toBe(2 + Buffer.byteLength(text));
    expect([...first.bytes.subarray(0, 2)]).toEqual([0x81, Buffer.byteLength(text)]);
    await Promise.resolve();
    await Promise.resolve();
    expect(cache.frame(text)).not.toBe(first);
  });

  it('makes each frame a Buffer where the runtime has them (a Node socket writes it without wrapping it)', () => {
    for (const text of ['{"id":"1-0"}', 'x'.repeat(40_000)]) {
      const { bytes } = prepareFrame(text);
      expect(Buffer.isBuffer(bytes)).toBe(true);
      expect(Buffer.from(bytes).equals(referenceFrame(text))).toBe(true);
    }
  });

  it('frames a batch through the cache only when it is shared', () => {
    const cache = new FrameCache();
    const texts = ['{"id":"1-0"}', '{"id":"2-0"}'];
    const own = cache.frames(texts, false);
    expect(own.map((frame) => Buffer.from(frame.bytes).subarray(2).toString())).toEqual(texts);
    const shared = cache.frames(texts, true);
    expect(shared[0]).not.toBe(own[0]);
    expect(cache.frames(texts, true)).toEqual(shared);
    expect(cache.frames(texts, true)[1]).toBe(shared[1]);
    expect(cache.frames(texts, false)[1]).not.toBe(shared[1]);
  });
});

// RFC 6455 §5.2, written out plainly: what every prepared frame must equal.
function referenceFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x81, length])
      : length < 65_536
        ? Buffer.from([0x81, 126, length >>> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x81, 127]), Buffer.from(new BigUint64Array([BigInt(length)]).buffer).reverse()]);
  return Buffer.concat([header, payload]);
}

describe('prepareFrame', () => {
  it('frames every text, whatever its length and characters, byte for byte as RFC 6455 says', () => {
    const texts = [
      '',
      'a',
      'x'.repeat(125),
      'x'.repeat(126),
      'é'.repeat(63), // 126 bytes from 63 units
      '🍕'.repeat(5_000), // past the slab size for a shared frame
      'y'.repeat(65_535),
      'z'.repeat(65_536),
      '\ud800 lone surrogates \udc00', // each becomes U+FFFD, as Buffer.from writes it
      JSON.stringify({ id: '1-0', payload: { note: 'ünïcödé ✓ 🍕' } }),
    ];
    for (const text of texts) expect(Buffer.from(prepareFrame(text).bytes)).toEqual(referenceFrame(text));
  });

  it('keeps every frame intact while later ones fill and replace the shared slabs', () => {
    const texts = Array.from({ length: 2_000 }, (_, i) => `${i}:${'é🍕x'.repeat(i % 200)}`);
    const frames = texts.map(prepareFrame);
    frames.forEach((frame, i) => {
      expect(Buffer.from(frame.bytes)).toEqual(referenceFrame(texts[i] as string));
    });
  });
});
