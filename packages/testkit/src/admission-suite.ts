import { connect as tcpConnect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ReplayRail, type StoredEvent } from '@replayrail/core';
import type { EventStore, StreamRef } from '@replayrail/core/store';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './socket-client.js';
import type { RunningTransport, StartTransport, StoreFixture } from './socket-suite.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `store`, with `latestCursor` slowed down for channels named `slow-store…`: a store that takes its time. */
function slowStore(store: EventStore, delayMs: () => number): EventStore {
  return {
    append: (stream, request) => store.append(stream, request),
    replay: (stream, query) => store.replay(stream, query),
    read: (stream, query) => store.read(stream, query),
    healthcheck: () => store.healthcheck(),
    close: () => store.close(),
    async latestCursor(stream: StreamRef) {
      if (stream.channel.startsWith('slow-store')) await sleep(delayMs());
      return store.latestCursor(stream);
    },
  };
}

const GOOD_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * One raw upgrade request over TCP. `leave`: the client hangs up that long after
 * sending it (with a FIN, or a RST when `reset`). Resolves with what the server
 * answered once the connection is gone.
 */
function rawUpgrade(
  port: number,
  path: string,
  headers: Record<string, string>,
  leave?: { afterMs: number; reset: boolean },
): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = tcpConnect(port, '127.0.0.1', () => {
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${lines.join('')}\r\n`);
      if (leave !== undefined) {
        setTimeout(() => (leave.reset ? socket.resetAndDestroy() : socket.destroy()), leave.afterMs);
      }
    });
    socket.on('data', (data) => {
      answer += data.toString();
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
  });
}

/** Runs `count` tasks, `width` at a time. */
async function inWaves(count: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += width) {
    await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, j) => task(start + j)));
  }
}

/** Polls `check` until it holds or `ms` passed; returns whether it held. */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

// The process's RSS and JS heap after full garbage collections, in bytes.
function settledMemory(): { rss: number; heap: number } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heap: heapUsed };
}

type BrokenKind = 'bad version' | 'missing key' | 'gone during a slow authorize' | 'gone during a slow store';
const KINDS: readonly BrokenKind[] = [
  'bad version',
  'missing key',
  'gone during a slow authorize',
  'gone during a slow store',
];

/**
 * Admission (docs/architecture.md) at the edge, over raw TCP: a handshake that fails or is abandoned
 * releases everything it held at once, and upgrades being admitted count toward
 * `maxConnections`, refused in order. Run by every transport.
 */
export function admissionSuite(
  name: string,
  startTransport: StartTransport,
  fixture: () => Promise<StoreFixture>,
): void {
  describe(`admission: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    // A rail whose authorize is slow for requests carrying x-slow, and whose store is
    // slow for `slow-store…` channels; both by `timing.slowMs`, which a test may change.
    async function start(maxConnections?: number, allowedOrigins?: readonly string[]) {
      const { store, prefix, dispose } = await fixture();
      const timing = { slowMs: 1_500, authorizeCalls: 0 };
      const rail = new ReplayRail({ store: slowStore(store, () => timing.slowMs), config: { streamPrefix: prefix } });
      const server = await startTransport(rail, {
        ...(maxConnections !== undefined && { maxConnections }),
        ...(allowedOrigins !== undefined && { allowedOrigins }),
        authorize: async (header) => {
          timing.authorizeCalls++;
          if (header('x-slow') !== undefined) await sleep(timing.slowMs);
          return true;
        },
      });
      cleanups.push(async () => {
        await server.close();
        await rail.close();
        await dispose();
      });
      const port = Number(new URL(server.url).port);
      return { rail, server, port, timing };
    }

    function broken(port: number, kind: BrokenKind, i: number): Promise<string> {
      const base = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13' };
      // Half hang up with a FIN, half with a RST: both must be noticed.
      const leave = { afterMs: 20, reset: i % 2 === 1 };
      switch (kind) {
        case 'bad version':
          return rawUpgrade(port, `/ws/c${i}`, {
            ...base,
            'Sec-WebSocket-Key': GOOD_KEY,
            'Sec-WebSocket-Version': '99',
          });
        case 'missing key':
          return rawUpgrade(port, `/ws/c${i}`, base);
        case 'gone during a slow authorize':
          return rawUpgrade(port, `/ws/c${i}`, { ...base, 'Sec-WebSocket-Key': GOOD_KEY, 'x-slow': '1' }, leave);
        case 'gone during a slow store':
          return rawUpgrade(port, `/ws/slow-store-${i}`, { ...base, 'Sec-WebSocket-Key': GOOD_KEY }, leave);
      }
    }

    function idle(rail: ReplayRail, server: RunningTransport): boolean {
      return server.connections() === 0 && rail.liveChannels === 0 && rail.subscriptions === 0;
    }

    it('1,000 handshakes of each broken kind hold nothing 1 s after the clients left', async () => {
      const { rail, server, port, timing } = await start();
      for (const kind of KINDS) {
        const answers: string[] = [];
        await inWaves(1_000, 250, async (i) => answers.push(await broken(port, kind, i)));
        // A malformed handshake is refused before admission; the others' clients are gone.
        if (kind === 'bad version' || kind === 'missing key') {
          expect(
            answers.every((answer) => answer.startsWith('HTTP/1.1 400')),
            kind,
          ).toBe(true);
        }
        // Released when the client left, not when the slow hook or store got done (1.5 s).
        expect(await within(1_000, () => server.connections() === 0), `${kind}: connections`).toBe(true);
        await sleep(timing.slowMs);
        expect(await within(1_000, () => idle(rail, server)), `${kind}: subscriptions and live channels`).toBe(true);
      }
      // And the endpoints still serve.
      const published = await rail.publish({ channel: 'after', type: 't', payload: {} });
      const socket = connect(`${server.url}/after?last_event_id=0-0`);
      await socket.until((frames) => frames.length === 1);
      expect(socket.json()[0]?.id).toBe(published.id);
      socket.ws.close();
    }, 60_000);

    it('keeps the process RSS flat over 10 rounds of broken handshakes', async () => {
      const { rail, server, port, timing } = await start();
      timing.slowMs = 50;
      const memory: { rss: number; heap: number }[] = [];
      const handshakesPerRound = KINDS.length * 1_000;
      // The lowest of the first three rounds of a window of ten against the lowest of its
      // last three (seven rounds apart), per handshake: a leak raises the lowest, a late
      // GC does not.
      const low = (rounds: typeof memory, key: 'rss' | 'heap') => Math.min(...rounds.map((m) => m[key]));
      const perHandshake = (window: typeof memory, key: 'rss' | 'heap') =>
        (low(window.slice(-3), key) - low(window.slice(0, 3), key)) / (7 * handshakesPerRound);
      // Rounds 0-7 warm up (JIT, V8's heap spaces and the allocator grow to their
      // working size). How long that takes depends on the machine's load: alone, RSS
      // settles within 8 rounds; beside the rest of the suite on two cores it has grown
      // 21 MB over the next 10. So a window that grew is followed by more rounds, up to
      // 30, each checking the last ten: a leak grows every window alike and fails them
      // all, a late warm-up falls out of the window. A native leak of 360 bytes per
      // handshake or a JS one of 140 fails (as leaks of 400 and 280 bytes were seen to).
      let grown = { rss: Number.POSITIVE_INFINITY, heap: Number.POSITIVE_INFINITY };
      for (let round = 0; round < 30; round++) {
        for (const kind of KINDS) await inWaves(1_000, 250, (i) => broken(port, kind, i));
        await sleep(timing.slowMs);
        expect(await within(1_000, () => idle(rail, server))).toBe(true);
        memory.push(settledMemory());
        if (memory.length < 18) continue;
        const window = memory.slice(-10);
        grown = { rss: perHandshake(window, 'rss'), heap: perHandshake(window, 'heap') };
        if (grown.rss < 360 && grown.heap < 140) break;
      }
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
      console.log(
        `${name}: after each round, warm-up first (MB): RSS ${memory.map((m) => mb(m.rss)).join(' ')}; ` +
          `JS heap ${memory.map((m) => mb(m.heap)).join(' ')}`,
      );
      expect(grown.rss, 'RSS bytes per handshake over the last ten rounds').toBeLessThan(360);
      expect(grown.heap, 'JS heap bytes per handshake over the last ten rounds').toBeLessThan(140);
    }, 600_000);

    it('with maxConnections 20, 100 slow upgrades at once never hold more than 20 subscriptions', async () => {
      const { rail, server, timing } = await start(20);
      timing.slowMs = 400;
      let most = 0;
      let mostConnections = 0;
      const sampler = setInterval(() => {
        most = Math.max(most, rail.subscriptions);
        mostConnections = Math.max(mostConnections, server.connections());
      }, 2);
      const { WebSocket } = await import('ws');
      // A refused upgrade completes its handshake and is closed at once with its code
      // (so a browser sees why); an admitted one stays open until the client closes it.
      const codes = await Promise.all(
        Array.from(
          { length: 100 },
          (_, i) =>
            new Promise<number>((resolve) => {
              const ws = new WebSocket(`${server.url}/slow-${i}`, { headers: { 'x-slow': '1' } });
              ws.on('error', () => {});
              ws.on('open', () => setTimeout(() => ws.close(4000), 100));
              ws.on('close', (code) => resolve(code));
            }),
        ),
      );
      clearInterval(sampler);
      expect(most).toBeLessThanOrEqual(20);
      expect(mostConnections).toBeLessThanOrEqual(20);
      expect(codes.filter((code) => code === 4000)).toHaveLength(20);
      expect(codes.filter((code) => code === 1013)).toHaveLength(80);
      expect(most).toBe(20);
      expect(await within(1_000, () => idle(rail, server))).toBe(true);
    });

    it('refuses in order: Origin, then the cap, and only then asks authorize; shutdown refuses what is pending', async () => {
      const origin = 'https://app.example.com';
      const { rail, server, timing } = await start(1, [origin]);
      const holder = connect(`${server.url}/held`, { origin });
      await holder.opened;
      expect(timing.authorizeCalls).toBe(1);
      // At the cap and from a foreign origin: the origin is named.
      const foreign = connect(`${server.url}/c`, { origin: 'https://evil.example.com' });
      expect(await foreign.closed).toMatchObject({ code: 4403, reason: 'origin_not_allowed' });
      // At the cap: refused with 1013, authorize never asked.
      const capped = connect(`${server.url}/c`, { origin });
      expect(await capped.closed).toMatchObject({ code: 1013, reason: 'too_many_connections' });
      expect(timing.authorizeCalls).toBe(1);
      holder.ws.close();
      expect(await within(1_000, () => idle(rail, server))).toBe(true);
      const events: StoredEvent[] = [];
      for (let n = 0; n < 2; n++) events.push(await rail.publish({ channel: 'c', type: 't', payload: { n } }));
      const served = connect(`${server.url}/c?last_event_id=0-0`, { origin });
      await served.until((frames) => frames.length === 2);
      expect(served.json().map((frame) => frame.id)).toEqual(events.map((event) => event.id));
      served.ws.close();
      expect(await within(1_000, () => idle(rail, server))).toBe(true);
      // An upgrade still being admitted when shutdown begins is told 1001 once its handshake completes.
      const { WebSocket } = await import('ws');
      const slow = new WebSocket(`${server.url}/slow`, { headers: { 'x-slow': '1', origin } });
      slow.on('error', () => {});
      const slowClosed = new Promise<number>((resolve) => slow.on('close', (code) => resolve(code)));
      expect(await within(1_000, () => server.connections() === 1)).toBe(true);
      const closing = server.close();
      expect(await slowClosed).toBe(1001);
      await closing;
    });
  });
}
