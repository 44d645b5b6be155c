import {
  compareCursors,
  type EventStore,
  ReplayRail,
  type ReplayRailConfig,
  type ReplayRailError,
  type StoredEvent,
  UnauthenticatedError,
} from '@replayrail/core';
import { PROTOCOL_NAME } from '@replayrail/core/protocol';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeysUnder } from './delete-keys.js';
import { connect } from './socket-client.js';
import { uniquePrefix } from './unique-prefix.js';

/** A store for one test and how to dispose of it. */
export interface StoreFixture {
  readonly store: EventStore;
  readonly prefix: string;
  /**
   * Writes an entry's fields as they are, behind the rail's back (XADD), as another
   * writer might (the Python library's bare `NaN`); resolves with its ID.
   */
  appendRaw(channel: string, fields: Readonly<Record<string, string>>): Promise<string>;
  dispose(): Promise<void>;
}

/** A store that can take raw entries, as `MemoryEventStore` can. */
interface RawAppendable extends EventStore {
  appendRaw(stream: { prefix: string; channel: string }, fields: Readonly<Record<string, string>>): string;
}

/** A fixture of a store that needs no cleanup (the memory store), under a unique prefix. */
export function storeFixture(makeStore: () => RawAppendable): () => Promise<StoreFixture> {
  return async () => {
    const store = makeStore();
    const prefix = uniquePrefix();
    return {
      store,
      prefix,
      appendRaw: async (channel, fields) => store.appendRaw({ prefix, channel }, fields),
      dispose: async () => {},
    };
  };
}

/**
 * A fixture of a store on the run's Redis (`url`), under a prefix unique to the
 * test (keys `<prefix>:<channel>`, no hash tags); disposing deletes the prefix's
 * keys and closes the client.
 */
export function redisStoreFixture(url: string, makeStore: (client: Redis) => EventStore): () => Promise<StoreFixture> {
  return async () => {
    const client = new Redis(url);
    const prefix = uniquePrefix();
    return {
      store: makeStore(client),
      prefix,
      appendRaw: async (channel, fields) =>
        (await client.xadd(`${prefix}:${channel}`, '*', ...Object.entries(fields).flat())) as string,
      dispose: async () => {
        await deleteKeysUnder(client, prefix);
        await client.quit();
      },
    };
  };
}

/** A stream entry in the Python layout whose payload no JSON parser takes (Python's bare NaN). */
export function undecodableFields(channel: string): Record<string, string> {
  return {
    event_id: 'python-nan',
    channel,
    type: 'reading.taken',
    payload: '{"value":NaN}',
    actor: 'null',
    metadata: '{}',
    created_at: '2026-06-29T12:00:00Z',
  };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function isEvent(frame: Record<string, unknown>): boolean {
  return !('op' in frame);
}

/** What the suites ask of a transport; each adapts it to its own options. */
export interface SuiteTransportOptions {
  /** Decides from the request's headers (by lower-case name) whether it may subscribe. */
  authorize?: (header: (name: string) => string | undefined, channel: string) => boolean | Promise<boolean>;
  allowedOrigins?: readonly string[];
  maxBufferedBytes?: number;
  maxConnections?: number;
  heartbeatMs?: number;
  onError?: (error: ReplayRailError) => void;
}

/** A transport serving a rail's WebSocket endpoints on a loopback port. */
export interface RunningTransport {
  /** The multiplexed endpoint, `ws://127.0.0.1:<port>/ws`; one channel is `<url>/<channel>`. */
  readonly url: string;
  /** Sockets open on the server. */
  connections(): number;
  /** Closes every socket (1001) and stops listening. */
  close(): Promise<void>;
}

/** Starts a transport for one test. */
export type StartTransport = (rail: ReplayRail, options: SuiteTransportOptions) => Promise<RunningTransport>;

/**
 * The WebSocket behaviour every transport must show, over real sockets: one suite,
 * run by server-ws and by the Hono adapter, each on the memory store and on Redis.
 */
export function socketSuite(name: string, startTransport: StartTransport, fixture: () => Promise<StoreFixture>): void {
  describe(`WebSocket endpoints: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function start(
      config: ReplayRailConfig = {},
      options: SuiteTransportOptions = {},
    ): Promise<{
      rail: ReplayRail;
      server: RunningTransport;
      url: string;
      appendRaw: StoreFixture['appendRaw'];
    }> {
      const { store, prefix, dispose, appendRaw } = await fixture();
      const rail = new ReplayRail({ store, config: { streamPrefix: prefix, ...config } });
      const server = await startTransport(rail, options);
      cleanups.push(async () => {
        await server.close();
        await rail.close();
        await dispose();
      });
      return { rail, server, url: server.url, appendRaw };
    }

    const publish = (rail: ReplayRail, channel: string, n: number) =>
      rail.publish({ channel, type: 'test.event', payload: { n } });

    it('replays what a client missed after a reconnect, then streams live', async () => {
      const { rail, url } = await start();
      const events: StoredEvent[] = [];
      for (let n = 0; n < 5; n++) events.push(await publish(rail, 'orders', n));
      const socket = connect(`${url}/orders?last_event_id=${events[1]?.id}`);
      await socket.opened;
      const live = await publish(rail, 'orders', 5);
      await socket.until((frames) => frames.length === 4);
      expect(socket.json().map((frame) => frame.id)).toEqual([...events.slice(2), live].map((event) => event.id));
      expect(socket.json()[0]).toEqual(events[2]);
      socket.ws.close();
    });

    it('starts at latest by default, and at earliest when asked or configured', async () => {
      const { rail, url } = await start();
      const old = await publish(rail, 'c', 0);
      const latest = connect(`${url}/c`);
      const earliest = connect(`${url}/c?from=earliest`);
      await Promise.all([latest.opened, earliest.opened]);
      const fresh = await publish(rail, 'c', 1);
      await latest.until((frames) => frames.length === 1);
      await earliest.until((frames) => frames.length === 2);
      expect(latest.json().map((frame) => frame.id)).toEqual([fresh.id]);
      expect(earliest.json().map((frame) => frame.id)).toEqual([old.id, fresh.id]);
      const configured = await start({ defaultStartPosition: 'earliest' });
      await publish(configured.rail, 'c', 0);
      const byDefault = connect(`${configured.url}/c`);
      await byDefault.until((frames) => frames.length === 1);
      for (const socket of [latest, earliest, byDefault]) socket.ws.close();
    });

    it('delivers every event published after open to 200 sockets opened at once', async () => {
      const { rail, url } = await start();
      await publish(rail, 'crowd', 0);
      const sockets = Array.from({ length: 200 }, () => connect(`${url}/crowd`));
      // Publish the moment each socket opens: nothing published after an open is lost.
      const published: StoredEvent[] = [];
      const opens = sockets.map((socket, i) =>
        socket.opened.then(async () => {
          if (i % 20 === 0) published.push(await publish(rail, 'crowd', i));
        }),
      );
      await Promise.all(opens);
      const last = await publish(rail, 'crowd', 999);
      await Promise.all(sockets.map((socket) => socket.until((frames) => frames.at(-1)?.id === last.id)));
      for (const [i, socket] of sockets.entries()) {
        const ids = socket.json().map((frame) => frame.id as string);
        // In order, once each, ending with the last event.
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toEqual([...ids].sort(compareCursors));
        // Every event published after this socket opened is there.
        for (const event of published.slice(Math.ceil(i / 20))) expect(ids).toContain(event.id);
        socket.ws.close();
      }
    });

    it('closes with 4400 and sends nothing for an invalid cursor or channel', async () => {
      const { rail, url } = await start();
      await publish(rail, 'c', 0);
      for (const path of ['/c?last_event_id=abc', '/c?last_event_id=01-0', '/bad%20channel', '/a//b', '/x%2A']) {
        const socket = connect(`${url}${path}`);
        expect((await socket.closed).code, path).toBe(4400);
        expect(socket.frames).toEqual([]);
      }
    });

    it('closes with 4410 and sends nothing for an expired cursor', async () => {
      const { rail, url } = await start({ maxStreamLength: 3, approximateTrimming: false });
      const first = await publish(rail, 'c', 0);
      for (let n = 1; n < 6; n++) await publish(rail, 'c', n);
      const socket = connect(`${url}/c?last_event_id=${first.id}`);
      expect(await socket.closed).toMatchObject({ code: 4410, reason: 'replay_window_expired' });
      expect(socket.frames).toEqual([]);
    });

    it('closes with 4403 when authorize denies, 4401 when it says unauthenticated', async () => {
      const { url } = await start(
        {},
        {
          authorize: (header, channel) => {
            if (header('authorization') === undefined) throw new UnauthenticatedError();
            return !channel.startsWith('admin');
          },
        },
      );
      const anonymous = connect(`${url}/orders`);
      expect((await anonymous.closed).code).toBe(4401);
      const { WebSocket } = await import('ws');
      const denied = new WebSocket(`${url}/admin`, { headers: { authorization: 'Bearer x' } });
      const code = await new Promise((resolve) => denied.once('close', (closeCode) => resolve(closeCode)));
      expect(code).toBe(4403);
    });

    it('closes with 4403 for an origin not on the allow-list', async () => {
      const { url } = await start({}, { allowedOrigins: ['https://app.example.com'] });
      const foreign = connect(`${url}/c`, { origin: 'https://evil.example.com' });
      expect(await foreign.closed).toMatchObject({ code: 4403, reason: 'origin_not_allowed' });
      const allowed = connect(`${url}/c`, { origin: 'https://app.example.com' });
      await allowed.opened;
      allowed.ws.close();
    });

    it('a hook that throws a plain Error: 1011 internal_error (no detail), the error to onError', async () => {
      const reported: ReplayRailError[] = [];
      const bug = new Error('db password is hunter2');
      const { url } = await start(
        {},
        {
          authorize: (_header, channel) => {
            if (channel === 'buggy') throw bug;
            return true;
          },
          onError: (error) => reported.push(error),
        },
      );
      const single = connect(`${url}/buggy`);
      expect(await single.closed).toEqual({ code: 1011, reason: 'internal_error' });
      expect(single.frames).toEqual([]);
      const multiplexed = connect(url);
      await multiplexed.opened;
      multiplexed.ws.send(JSON.stringify({ op: 'subscribe', channel: 'buggy' }));
      multiplexed.ws.send(JSON.stringify({ op: 'subscribe', channel: 'fine' }));
      await multiplexed.until((frames) => frames.some((frame) => frame.op === 'subscribed'));
      expect(multiplexed.json()[0]).toEqual({
        op: 'error',
        code: 'internal_error',
        message: 'internal error',
        channel: 'buggy',
      });
      expect(multiplexed.frames.join()).not.toContain('hunter2');
      expect(reported.map((error) => [error.code, error.cause])).toEqual([
        ['internal_error', bug],
        ['internal_error', bug],
      ]);
      multiplexed.ws.close();
    });

    it('ends the one-channel endpoint with 4422 naming an undecodable entry, after the events before it', async () => {
      const { rail, url, appendRaw } = await start();
      const before = await publish(rail, 'mixed', 1);
      const bad = await appendRaw('mixed', undecodableFields('mixed'));
      const after = await publish(rail, 'mixed', 2);
      // Replayed: the event before, then the close; never a frame that is not an event.
      const replayed = connect(`${url}/mixed?last_event_id=0-0`);
      expect(await replayed.closed).toEqual({ code: 4422, reason: `serialization_error ${bad}` });
      expect(replayed.json()).toEqual([before]);
      // Resuming after the entry the reason names: the rest, then live; and live, the same close.
      const resumed = connect(`${url}/mixed?last_event_id=${bad}`);
      await resumed.until((frames) => frames.length === 1);
      const live = await publish(rail, 'mixed', 3);
      const badLive = await appendRaw('mixed', undecodableFields('mixed'));
      expect(await resumed.closed).toEqual({ code: 4422, reason: `serialization_error ${badLive}` });
      expect(resumed.json()).toEqual([after, live]);
      // The multiplexed endpoint reports the entry in an error frame and goes on.
      const multiplexed = connect(url);
      await multiplexed.opened;
      multiplexed.ws.send(JSON.stringify({ op: 'subscribe', channel: 'mixed', after: '0-0' }));
      await multiplexed.until((frames) => frames.some((frame) => frame.op === 'live'));
      const ops = multiplexed
        .json()
        .map((frame) => (frame.op === 'error' ? `error ${frame.id}` : (frame.op ?? frame.id)));
      expect(ops).toEqual(['subscribed', before.id, `error ${bad}`, after.id, live.id, `error ${badLive}`, 'live']);
      multiplexed.ws.close();
    });

    describe('the multiplexed endpoint', () => {
      it('acknowledges each subscribe with its start cursor, then streams each channel', async () => {
        const { rail, url } = await start();
        const a0 = await publish(rail, 'a', 0);
        const socket = connect(url, { protocols: [PROTOCOL_NAME] });
        await socket.opened;
        expect(socket.ws.protocol).toBe(PROTOCOL_NAME);
        socket.ws.send(JSON.stringify({ op: 'subscribe', channel: 'a', from: 'latest' }));
        socket.ws.send(JSON.stringify({ op: 'subscribe', channel: 'b', from: 'earliest' }));
        await socket.until((frames) => frames.filter((frame) => frame.op === 'subscribed').length === 2);
        expect(socket.json()).toContainEqual({ op: 'subscribed', channel: 'a', cursor: a0.id });
        expect(socket.json()).toContainEqual({ op: 'subscribed', channel: 'b', cursor: '0-0' });
        // Both caught up at once (nothing to replay): each says so before its live events.
        await socket.until((frames) => frames.filter((frame) => frame.op === 'live').length === 2);
        const a1 = await publish(rail, 'a', 1);
        const b1 = await publish(rail, 'b', 1);
        await socket.until((frames) => frames.filter(isEvent).length === 2);
        // Order holds within a channel; two channels' feeds interleave freely.
        expect(socket.json().filter(isEvent)).toEqual(expect.arrayContaining([a1, b1]));
        socket.ws.send(JSON.stringify({ op: 'unsubscribe', channel: 'a' }));
        await socket.until((frames) => frames.some((frame) => frame.op === 'unsubscribed'));
        await publish(rail, 'a', 2);
        const b2 = await publish(rail, 'b', 2);
        await socket.until((frames) => frames.filter(isEvent).length === 3);
        expect(socket.json().filter(isEvent).at(-1)).toEqual(b2);
        socket.ws.send(JSON.stringify({ op: 'ping' }));
        await socket.until((frames) => frames.some((frame) => frame.op === 'pong'));
        socket.ws.close();
      });

      it('says live once the replay is over: replayed events, then live, then live events', async () => {
        const { rail, url } = await start({ defaultReplayLimit: 3 });
        const replayed: StoredEvent[] = [];
        for (let n = 0; n < 10; n++) replayed.push(await publish(rail, 'r', n));
        const socket = connect(url);
        await socket.opened;
        socket.ws.send(JSON.stringify({ op: 'subscribe', channel: 'r', after: replayed[1]?.id }));
        await socket.until((frames) => frames.some((frame) => frame.op === 'live'));
        const fresh = await publish(rail, 'r', 10);
        await socket.until((frames) => frames.at(-1)?.id === fresh.id);
        const ops = socket.json().map((frame) => (frame.op as string | undefined) ?? frame.id);
        expect(ops).toEqual(['subscribed', ...replayed.slice(2).map((event) => event.id), 'live', fresh.id]);
        socket.ws.close();
      });

      it('answers bad requests with error frames and keeps the socket', async () => {
        const { rail, url } = await start({ maxStreamLength: 2, approximateTrimming: false });
        const first = await publish(rail, 'gone', 0);
        for (let n = 1; n < 4; n++) await publish(rail, 'gone', n);
        const socket = connect(url);
        await socket.opened;
        const requests = [
          'not json',
          '[1,2]',
          '{"op":"dance"}',
          '{"op":"subscribe"}',
          '{"op":"subscribe","channel":"bad*"}',
          '{"op":"subscribe","channel":"c","after":"xyz"}',
          '{"op":"subscribe","channel":"c","extra":1}',
          '{"op":"unsubscribe","channel":"never"}',
        ];
        for (const request of requests) socket.ws.send(request);
        await socket.until((frames) => frames.length === requests.length);
        expect(socket.json().map((frame) => [frame.op, frame.code])).toEqual([
          ['error', 'invalid_request'],
          ['error', 'invalid_request'],
          ['error', 'invalid_request'],
          ['error', 'invalid_request'],
          ['error', 'invalid_channel'],
          ['error', 'invalid_cursor'],
          ['error', 'invalid_request'],
          ['error', 'invalid_request'],
        ]);
        // An expired channel gets its own frame; the socket stays open.
        socket.ws.send(JSON.stringify({ op: 'subscribe', channel: 'gone', after: first.id }));
        await socket.until((frames) => frames.some((frame) => frame.op === 'expired'));
        expect(socket.json().find((frame) => frame.op === 'expired')).toMatchObject({
          channel: 'gone',
          code: 'replay_window_expired',
        });
        socket.ws.send('{"op":"ping"}');
        await socket.until((frames) => frames.some((frame) => frame.op === 'pong'));
        socket.ws.close();
      });

      it('refuses the 101st subscription, and a binary frame closes with 4400', async () => {
        const { url } = await start();
        const socket = connect(url);
        await socket.opened;
        for (let i = 0; i <= 100; i++) socket.ws.send(JSON.stringify({ op: 'subscribe', channel: `c${i}` }));
        await socket.until((frames) => frames.filter((frame) => frame.op !== 'live').length === 101);
        const frames = socket.json().filter((frame) => frame.op !== 'live');
        expect(frames.filter((frame) => frame.op === 'subscribed')).toHaveLength(100);
        expect(frames.filter((frame) => frame.op === 'error')).toEqual([
          expect.objectContaining({ code: 'invalid_request', channel: 'c100' }),
        ]);
        socket.ws.send(new Uint8Array([1, 2, 3]));
        expect((await socket.closed).code).toBe(4400);
      });

      it('closes with 1009 on a frame over maxFrameBytes, without taking it in', async () => {
        const { url } = await start({ limits: { maxFrameBytes: 1024 } });
        const socket = connect(url);
        await socket.opened;
        socket.ws.send(JSON.stringify({ op: 'subscribe', channel: 'x'.repeat(5000) }));
        expect((await socket.closed).code).toBe(1009);
      });
    });

    it('closes a socket that stops reading with 4408; it resumes from its cursor and loses nothing', async () => {
      const { rail, url } = await start({ maxStreamLength: null }, { maxBufferedBytes: 64 * 1024 });
      const socket = connect(`${url}/firehose?from=earliest`);
      await socket.opened;
      // The client stops reading: the kernel buffers fill, then the server's queue.
      (socket.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = 'x'.repeat(16 * 1024);
      const published: StoredEvent[] = [];
      for (let n = 0; n < 400; n++) {
        published.push(await rail.publish({ channel: 'firehose', type: 't', payload: { n, big } }));
      }
      (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect((await socket.closed).code).toBe(4408);
      const received = socket.json();
      expect(received.length).toBeLessThan(published.length);
      expect(received.map((frame) => frame.id)).toEqual(published.slice(0, received.length).map((event) => event.id));
      const resumed = connect(`${url}/firehose?last_event_id=${received.at(-1)?.id ?? '0-0'}`);
      await resumed.until((frames) => frames.length === published.length - received.length, 'the rest');
      expect(resumed.json().map((frame) => frame.id)).toEqual(
        published.slice(received.length).map((event) => event.id),
      );
      resumed.ws.close();
    });

    it('paces a catch-up to a client that reads slowly: no 4408, every missed event once, in order', async () => {
      const { rail, url } = await start({ maxStreamLength: null }, { maxBufferedBytes: 64 * 1024 });
      const first = await rail.publish({ channel: 'backlog', type: 't', payload: { n: -1 } });
      const big = 'x'.repeat(16 * 1024);
      const missed: StoredEvent[] = [];
      for (let n = 0; n < 300; n++) {
        missed.push(await rail.publish({ channel: 'backlog', type: 't', payload: { n, big } }));
      }
      const socket = connect(`${url}/backlog?last_event_id=${first.id}`);
      await socket.opened;
      // The client reads in spurts: 30 ms paused, then 10 ms reading, over and over.
      const raw = (socket.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      let reading = true;
      const spurts = setInterval(() => {
        reading = !reading;
        if (reading) raw.resume();
        else raw.pause();
      }, 20);
      let closed: { code: number } | undefined;
      void socket.closed.then((how) => {
        closed = how;
      });
      try {
        // Counted, not parsed, until all are in: each is 16 KB.
        for (let waited = 0; socket.frames.length < missed.length; waited += 10) {
          if (closed !== undefined || waited > 30_000) {
            throw new Error(
              `got ${socket.frames.length} of ${missed.length}, then ${closed ? `close ${closed.code}` : 'nothing'}`,
            );
          }
          await tick(10);
        }
      } finally {
        clearInterval(spurts);
        raw.resume();
      }
      expect(socket.json().map((frame) => frame.id)).toEqual(missed.map((event) => event.id));
      const live = await rail.publish({ channel: 'backlog', type: 't', payload: { n: 'live' } });
      await socket.until((frames) => frames.length === missed.length + 1, 'the live event');
      expect(socket.json().at(-1)?.id).toBe(live.id);
      socket.ws.close();
    });

    it('reaps a socket that stops answering pings', async () => {
      const { server, url } = await start({}, { heartbeatMs: 50 });
      const socket = connect(`${url}/c`);
      await socket.opened;
      expect(server.connections()).toBe(1);
      // A paused socket reads no ping, so it sends no pong: half-open from the server's side.
      (socket.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      for (let i = 0; i < 100 && server.connections() > 0; i++) await tick(20);
      expect(server.connections()).toBe(0);
      socket.ws.terminate();
    });

    it('closes every socket with 1001 on close(), and leaves no timer or socket behind', async () => {
      const resources = () =>
        process
          .getActiveResourcesInfo()
          .filter((kind) => kind === 'Timeout' || kind === 'TCPSocketWrap' || kind === 'TCPServerWrap');
      const before = resources().length;
      const { rail, server, url } = await start();
      const sockets = [connect(`${url}/a`), connect(url)];
      await Promise.all(sockets.map((socket) => socket.opened));
      sockets[1]?.ws.send(JSON.stringify({ op: 'subscribe', channel: 'b' }));
      await sockets[1]?.until((frames) => frames.length === 1);
      await server.close();
      for (const socket of sockets) expect((await socket.closed).code).toBe(1001);
      expect(server.connections()).toBe(0);
      expect(rail.liveChannels).toBe(0);
      // The store's connections belong to the fixture; only what the server made must be gone.
      for (let i = 0; i < 50 && resources().length > before + 2; i++) await tick(10);
      expect(resources().length).toBeLessThanOrEqual(before + 2);
    });
  });
}
