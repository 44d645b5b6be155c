import { ReplayRail, type StoredEvent } from '@replayrail/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawRequest, rawBytes, rawRequest, UPGRADE_HEADERS } from './raw-http.js';
import { connect, type TestSocket } from './socket-client.js';
import type { RunningTransport, StartTransport, StoreFixture } from './socket-suite.js';

/** The seed of the fuzz runs: `REPLAYRAIL_FUZZ_SEED` to replay one, a fixed one otherwise (runs repeat). */
const SEED = Number(process.env.REPLAYRAIL_FUZZ_SEED ?? 20_2012);

// Pieces a hostile path, query or header is made of.
const PIECES = [
  '..',
  '.',
  '%2e%2e',
  '%2E',
  '%2F',
  '\\',
  '#',
  '%',
  '%ZZ',
  '%00',
  '*',
  '~',
  'idempotency',
  'a'.repeat(300),
  '__proto__',
  'constructor',
  '$',
  '0-0',
  'é',
  '%C3%A9',
  '%FF',
  ' ',
];
const piece = fc.oneof(
  fc.constantFrom(...PIECES),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[a-z0-9:._-]{1,12}$/),
);
// Visible ASCII goes in the request line as it is (Node's client refuses the rest,
// which is sent percent-encoded, byte by byte).
const percentEncoded = (c: string) =>
  [...Buffer.from(c)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
const pathText = (parts: string[]) => parts.join('/').replace(/[^!-~]/gu, percentEncoded);
const channel = fc.stringMatching(/^[a-z0-9][a-z0-9:._-]{0,11}$/);
const path = fc.oneof(
  // A valid endpoint and channel, so requests also get through to the rail.
  fc.tuple(fc.constantFrom('/ws/', '/events/'), channel).map(([prefix, name]) => `${prefix}${name}`),
  fc.constant('/ws'),
  fc
    .tuple(
      fc.constantFrom('/ws', '/ws/', '/events/', '/', '/x/../ws/', '/x/../events/'),
      fc.array(piece, { maxLength: 4 }),
    )
    .map(([prefix, parts]) => `${prefix}${pathText(parts)}`),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom('after', 'last_event_id', 'from', 'since', 'until', 'limit', 'x', ''),
      fc.oneof(
        piece,
        fc.constantFrom('latest', 'earliest', '0-0', '$', '99999999999999999999-0', '1e400', '2026-01-01T00:00:00Z'),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${pathText([v])}`).join('&')}`));
// A header value Node's client accepts (visible ASCII and spaces).
const headerValue = fc.oneof(
  fc.constantFrom('websocket', 'WebSocket', 'h2c', 'Upgrade', 'keep-alive, Upgrade', '13', '8', '12', ''),
  fc.stringMatching(/^[\x21-\x7e ]{0,40}$/),
);
const plainHeaders = fc.record(
  {
    accept: fc.constantFrom('text/event-stream', 'application/json', '*/*'),
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x+json; charset=utf-8'),
    'last-event-id': fc.oneof(fc.constantFrom('0-0', '$', 'nope'), headerValue),
    'idempotency-key': fc.oneof(fc.constantFrom('key-1', 'key-2'), headerValue),
    origin: fc.constantFrom('http://127.0.0.1', 'null', 'https://evil.example'),
  },
  { requiredKeys: [] },
);
const handshakeNames = Object.keys(UPGRADE_HEADERS);
const headers = fc
  .oneof(
    // A complete handshake, or one with a header wrong or missing, or plain HTTP.
    fc.constant({ ...UPGRADE_HEADERS }),
    fc.tuple(fc.constantFrom(...handshakeNames), fc.option(headerValue, { nil: undefined })).map(([name, value]) => {
      const changed: Record<string, string> = { ...UPGRADE_HEADERS };
      if (value === undefined) delete changed[name];
      else changed[name] = value;
      return changed;
    }),
    plainHeaders,
    fc.tuple(plainHeaders, fc.constant(UPGRADE_HEADERS)).map(([plain, upgrade]) => ({ ...upgrade, ...plain })),
  )
  .map((all) => Object.fromEntries(Object.entries(all).filter(([, value]) => value.trim() === value)));
const body = fc.oneof(
  fc.constant(undefined),
  fc
    .record({
      type: fc.constantFrom('t', 'order.created', 'bad type'),
      payload: fc.dictionary(fc.string(), fc.jsonValue()),
    })
    .map((event) => JSON.stringify(event)),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{"type":"t","payload":{}}',
    '{"type":"t","payload":{"n":NaN}}',
    '{"type":"t","payload":{},"extra":1}',
    `{"type":"t","payload":${'['.repeat(200)}${']'.repeat(200)}}`,
    '{"type":"t","payload":{"n":9007199254740993}}',
  ),
);
const request = fc.oneof(
  fc.record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'),
    path: fc.tuple(path, query).map(([p, q]) => `${p}${q}`),
    headers,
    body,
  }),
  // A publish that mostly gets through (some with an event_id used before, some not valid).
  fc.record({
    method: fc.constant('POST'),
    path: channel.map((name) => `/events/${name}`),
    headers: fc.constantFrom(
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'idempotency-key': 'k1' },
    ),
    body: fc
      .record(
        {
          type: fc.constantFrom('t', 'order.created', 'bad type'),
          payload: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
          event_id: fc.constantFrom('e1', 'e2', 'bad id!'),
          metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 2 }),
        },
        { requiredKeys: ['type', 'payload'] },
      )
      .map((event) => JSON.stringify(event)),
  }),
);

// Framing no HTTP client sends: a body cut short, a chunk size that is not hex, a
// request line that is not one; the client hangs up after a moment.
const framing = fc.record({
  head: fc.constantFrom(
    'POST /events/fuzz HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"type"',
    'POST /events/fuzz HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    'POST /events/fuzz HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"typ',
    'GET /ws/fuzz HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n',
    'GET /ws/../../etc/passwd HTTP/1.0\r\n\r\n',
    'GARBAGE\r\n\r\n',
    '\u0000\u0001\u0002',
  ),
  hangUpMs: fc.integer({ min: 0, max: 30 }),
});

// Frames thrown at an open socket of either endpoint.
const frameText = fc.oneof(
  fc.string({ maxLength: 200 }),
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
    '{"op":"subscribe","channel":"a/../b"}',
  ),
  fc
    .record({ op: fc.constantFrom('subscribe', 'unsubscribe', 'ping', 'nope'), channel: fc.string() })
    .map((frame) => JSON.stringify(frame)),
);
const frame = fc.oneof(
  { weight: 8, arbitrary: frameText.map((data) => ({ binary: false, data: data as string | Uint8Array })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 300 }).map((data) => ({ binary: true, data: data as string | Uint8Array })),
  },
  // Raw bytes in a text frame: mostly invalid UTF-8, which is refused with 1007.
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 1, maxLength: 50 })
      .map((data) => ({ binary: false, data: Buffer.from(data) as Uint8Array })),
  },
);
const frames = fc.record({ single: fc.boolean(), frames: fc.array(frame, { minLength: 1, maxLength: 8 }) });

const fuzzCase = fc.oneof(
  { weight: 5, arbitrary: request.map((value) => ({ kind: 'request' as const, value })) },
  { weight: 1, arbitrary: framing.map((value) => ({ kind: 'framing' as const, value })) },
  { weight: 2, arbitrary: frames.map((value) => ({ kind: 'frames' as const, value })) },
);

type FuzzCase = typeof fuzzCase extends fc.Arbitrary<infer Case> ? Case : never;

// What an answer may never be: a server fault.
const FAULT_STATUS = 500;
const FAULT_CLOSE = 1011;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Seeded fuzzing of a transport over real sockets (issue #20), bounded in runs and
 * time: malformed requests (methods, paths, queries, handshake headers, bodies),
 * broken framing, and arbitrary frames on open sockets. No answer is a 500 or a
 * 1011, no fault reaches `onError`, nothing is held once the clients left, and a
 * subscriber beside it all receives every event once, in order.
 */
export function fuzzSuite(
  name: string,
  startTransport: StartTransport,
  fixture: () => Promise<StoreFixture>,
  options: { runs?: number; timeLimitMs?: number } = {},
): void {
  describe(`fuzzing: ${name}`, () => {
    let rail: ReplayRail;
    let server: RunningTransport;
    let dispose: () => Promise<void>;
    let faults: unknown[];
    let port: number;
    beforeAll(async () => {
      const made = await fixture();
      dispose = made.dispose;
      rail = new ReplayRail({
        store: made.store,
        config: { streamPrefix: made.prefix, limits: { maxFrameBytes: 4096 } },
      });
      faults = [];
      server = await startTransport(rail, { maxConnections: 500, onError: (error) => faults.push(error) });
      port = Number(new URL(server.url).port);
    });
    afterAll(async () => {
      await server.close();
      await rail.close();
      await dispose();
    });

    async function run(value: FuzzCase): Promise<void> {
      if (value.kind === 'request') {
        let answer: Awaited<ReturnType<typeof rawRequest>>;
        const { method, path, headers, body } = value.value;
        const sent: RawRequest = { method, path, headers, ...(body !== undefined && { body }) };
        try {
          answer = await rawRequest(port, sent, { answerMs: 300, openMs: 30 });
        } catch {
          return; // the connection broke under the client (a server that hung up): no answer to judge
        }
        expect(answer.status, `${value.value.method} ${value.value.path}`).not.toBe(FAULT_STATUS);
        expect(answer.close?.code, `${value.value.method} ${value.value.path}`).not.toBe(FAULT_CLOSE);
        return;
      }
      if (value.kind === 'framing') {
        const answer = await rawBytes(port, value.value.head, value.value.hangUpMs);
        expect(answer).not.toMatch(/^HTTP\/1\.[01] 500/);
        return;
      }
      const socket: TestSocket = connect(value.value.single ? `${server.url}/fuzz-target` : server.url);
      await socket.opened;
      for (const { binary, data } of value.value.frames) {
        if (socket.ws.readyState !== socket.ws.OPEN) break;
        socket.ws.send(data, { binary });
      }
      // Every frame gets an answer (multiplexed) or the socket is closed with a code.
      if (!value.value.single && socket.ws.readyState === socket.ws.OPEN) {
        socket.ws.send('{"op":"ping"}');
        await Promise.race([socket.until((received) => received.some((r) => r.op === 'pong')), socket.closed]);
      }
      socket.ws.close();
      const { code } = await socket.closed;
      expect([1000, 1005, 1007, 1009, 4400]).toContain(code);
    }

    it('gives no fault to any input, holds nothing after, and a subscriber beside it gets every event once, in order', async () => {
      const bystander = connect(`${server.url}/fuzz-watch?from=latest`);
      await bystander.opened;
      const published: StoredEvent[] = [];
      const outcome = await fc.check(
        fc.asyncProperty(fuzzCase, async (value) => {
          await run(value);
          published.push(await rail.publish({ channel: 'fuzz-watch', type: 't', payload: { n: published.length } }));
        }),
        { seed: SEED, numRuns: options.runs ?? 1_000, interruptAfterTimeLimit: options.timeLimitMs ?? 30_000 },
      );
      // The failing case, with its seed and path to replay it, as fast-check reports them.
      if (outcome.failed) throw new Error(fc.defaultReportMessage(outcome));
      expect(outcome.numRuns, 'runs made before the time limit').toBeGreaterThan(20);
      await bystander.until((received) => received.length === published.length, 'the bystander to get every event');
      expect(bystander.json().map((event) => event.id)).toEqual(published.map((event) => event.id));
      // Nothing leaked: once the clients left, only the bystander is held.
      for (let i = 0; i < 200 && (server.connections() > 1 || rail.liveChannels > 1); i++) await sleep(10);
      expect({
        connections: server.connections(),
        liveChannels: rail.liveChannels,
        subscriptions: rail.subscriptions,
      }).toEqual({ connections: 1, liveChannels: 1, subscriptions: 1 });
      expect(faults).toEqual([]);
      bystander.ws.close();
      await bystander.closed;
    }, 90_000);
  });
}
