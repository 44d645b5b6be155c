import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { connect, type TestSocket } from '@replayrail/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayRailWebSocketServer } from './server.js';

// Arbitrary frames thrown at both endpoints: the server never crashes, answers each
// with an error frame or a close code, and a bystander socket keeps every event.
describe('fuzzing the WebSocket endpoints', () => {
  let rail: ReplayRail;
  let server: ReplayRailWebSocketServer;
  let base: string;
  beforeAll(async () => {
    rail = new ReplayRail({ store: new MemoryEventStore(), config: { limits: { maxFrameBytes: 4096 } } });
    server = new ReplayRailWebSocketServer({ rail });
    base = `ws://127.0.0.1:${await server.listen(0)}/ws`;
  });
  afterAll(async () => {
    await server.close();
    await rail.close();
  });

  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json({ maxDepth: 6 }),
    fc.constantFrom(
      '{"op":"subscribe","channel":"fuzz"}',
      '{"op":"subscribe","channel":"fuzz","after":"99999999999999999999-0"}',
      '{"op":"subscribe","channel":"x","after":"1e400"}',
      '{"op":"unsubscribe","channel":"fuzz"}',
      '{"op":"ping"}',
      `{"op":"subscribe","channel":"${'a'.repeat(300)}"}`,
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      '{"op":"subscribe","channel":"c","since":"not a date"}',
      '{"op":"subscribe","channel":"__proto__"}',
    ),
    fc
      .record({ op: fc.constantFrom('subscribe', 'unsubscribe', 'ping', 'nope'), channel: fc.string() })
      .map((frame) => JSON.stringify(frame)),
  );
  const frame = fc.oneof(
    text.map((value) => ({ binary: false, data: value as string | Uint8Array })),
    fc.uint8Array({ maxLength: 300 }).map((value) => ({ binary: true, data: value as string | Uint8Array })),
    // Raw bytes in a text frame: mostly invalid UTF-8, which ws refuses with 1007.
    fc
      .uint8Array({ minLength: 1, maxLength: 50 })
      .map((value) => ({ binary: false, data: Buffer.from(value) as Uint8Array })),
  );

  it('survives any sequence of frames, and other sockets keep every event', async () => {
    const bystander = connect(`${base}/fuzz-watch?from=latest`);
    await bystander.opened;
    const published: StoredEvent[] = [];
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(frame, { minLength: 1, maxLength: 20 }), async (single, frames) => {
        const socket: TestSocket = connect(single ? `${base}/fuzz-target` : base);
        await socket.opened;
        for (const { binary, data } of frames) {
          if (socket.ws.readyState !== socket.ws.OPEN) break;
          socket.ws.send(data, { binary });
        }
        published.push(await rail.publish({ channel: 'fuzz-watch', type: 't', payload: { n: published.length } }));
        // Every frame gets an answer (multiplexed) or the socket is closed with a code.
        if (!single && socket.ws.readyState === socket.ws.OPEN) {
          socket.ws.send('{"op":"ping"}');
          await Promise.race([socket.until((received) => received.some((r) => r.op === 'pong')), socket.closed]);
        }
        socket.ws.close();
        const { code } = await socket.closed;
        expect([1000, 1005, 1007, 1009, 4400]).toContain(code);
      }),
      { numRuns: 120 },
    );
    await bystander.until((frames) => frames.length === published.length, 'the bystander to get every event');
    expect(bystander.json().map((event) => event.id)).toEqual(published.map((event) => event.id));
    // Nothing leaked: every fuzzed socket is gone from the server (its close may land a moment later).
    for (let i = 0; i < 100 && server.connections > 1; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.connections).toBe(1);
    bystander.ws.close();
  }, 60_000);
});
