import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import type { StoredEvent } from '@replayrail/core';
import { checkInputTable, checkKeepAliveLockout, connect, type InputTarget, rawBytes } from '@replayrail/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse } from './test-support/sse-client.js';

// The same routes on Bun and Deno (both installed from the npm registry as dev
// dependencies), driven over real HTTP, SSE and WebSockets from here.
const packageDir = join(import.meta.dirname, '..');
const script = join(import.meta.dirname, 'test-support', 'runtime-server.ts');
// What each runtime does before the adapter's routes see a request, as the input
// table (docs/protocol.md) and the aborted-body test see it:
// - neither has an upgrade path of its own for requests to other routes, so an
//   upgrade request asking an HTTP route for an event stream gets one;
// - Bun resolves dot segments and backslashes in the URL and keeps no other copy of
//   the path, so the adapter serves the resolved channel (a proxy in front must
//   refuse such paths: README);
// - Deno keeps the path as sent; it refuses an upgrade with a body framing (400), and drops a
//   connection whose chunk size is not hex before the application sees the request.
const RESOLVED_BY_BUN = {
  'GET /ws/a/../b': 'open',
  'GET /ws/a/%2e%2e/b': 'open',
  'GET /ws/ok/%2E/b': 'open',
  'GET /ws/x\\y': 'open',
  'GET /x/../ws/ok (a complete handshake)': 'open',
  'POST /events/public/%2e%2e/private': '201',
  'POST /events/a/../b': '201',
  'POST /x/../events/b': '201',
  'GET /events/a/%2e%2e/b (a page)': '200',
  'GET /events/x\\y (a page)': '200',
  'GET /events/ok/%2E/b (an event stream)': '200',
  'GET /events/ok, a complete handshake asking for an event stream': '200',
};
const RUNTIMES = [
  {
    name: 'Bun',
    bin: join(packageDir, 'node_modules', '.bin', 'bun'),
    args: ['run', script],
    runtimeAnswers: RESOLVED_BY_BUN,
    resolvesPaths: true,
    abortedBodiesSeen: 2,
  },
  {
    name: 'Deno',
    bin: join(packageDir, 'node_modules', '.bin', 'deno'),
    args: ['run', '-A', script],
    runtimeAnswers: {
      'POST /ws/ok, a complete handshake': '400',
      'GET /events/ok, a complete handshake asking for an event stream': '200',
    },
    resolvesPaths: false,
    abortedBodiesSeen: 1,
  },
];

function startServer(bin: string, args: string[]): Promise<{ child: ChildProcess; base: string }> {
  if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
    throw new Error('adapter-hono is not built: run `pnpm build` first (the runtimes load dist/)');
  }
  const child = spawn(bin, args, { cwd: packageDir, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no port from ${bin} after 20 s: ${output}`)), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${bin} exited with ${code}: ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /port (\d+)/.exec(output)?.[1];
      if (port !== undefined) {
        clearTimeout(timer);
        resolve({ child, base: `127.0.0.1:${port}` });
      }
    });
  });
}

for (const runtime of RUNTIMES) {
  const available = existsSync(runtime.bin);
  describe.skipIf(!available)(`adapter-hono on ${runtime.name}${available ? '' : ' (skipped: not installed)'}`, () => {
    let child: ChildProcess;
    let base: string;
    beforeAll(async () => {
      ({ child, base } = await startServer(runtime.bin, runtime.args));
    }, 30_000);
    afterAll(async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    });

    const publish = async (channel: string, n: number) => {
      const response = await fetch(`http://${base}/events/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'test.event', payload: { n } }),
      });
      expect(response.status).toBe(201);
      return (await response.json()) as StoredEvent;
    };

    it('publishes over HTTP and pages, with the error table', async () => {
      const first = await publish('http', 0);
      const second = await publish('http', 1);
      const page = (await (await fetch(`http://${base}/events/http?after=${first.id}`)).json()) as {
        events: StoredEvent[];
      };
      expect(page.events).toEqual([second]);
      const bad = await fetch(`http://${base}/events/bad*`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error: { code: 'invalid_channel' } });
    });

    it('replays what a WebSocket client missed, then streams live', async () => {
      const events: StoredEvent[] = [];
      for (let n = 0; n < 4; n++) events.push(await publish('ws', n));
      const socket = connect(`ws://${base}/ws/ws?last_event_id=${events[1]?.id}`);
      await socket.opened;
      const live = await publish('ws', 4);
      await socket.until((frames) => frames.length === 3);
      expect(socket.json()).toEqual([events[2], events[3], live]);
      socket.ws.close();
      const bad = connect(`ws://${base}/ws/ws?last_event_id=nope`);
      expect((await bad.closed).code).toBe(4400);
    });

    it('acknowledges multiplexed subscriptions with their start cursor', async () => {
      const last = await publish('mux', 0);
      const socket = connect(`ws://${base}/ws`);
      await socket.opened;
      socket.ws.send(JSON.stringify({ op: 'subscribe', channel: 'mux' }));
      await socket.until((frames) => frames.length === 2);
      expect(socket.json()).toEqual([
        { op: 'subscribed', channel: 'mux', cursor: last.id },
        { op: 'live', channel: 'mux' },
      ]);
      const next = await publish('mux', 1);
      await socket.until((frames) => frames.length === 3);
      expect(socket.json()[2]).toEqual(next);
      socket.ws.close();
    });

    it('releases an upgrade the moment its client leaves during a slow authorize (the request signal)', async () => {
      const stats = async () =>
        (await (await fetch(`http://${base}/stats`)).json()) as { connections: number; subscriptions: number };
      const port = Number(base.split(':')[1]);
      const leaving = Array.from(
        { length: 50 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const socket = tcpConnect(port, '127.0.0.1', () => {
              socket.write(
                `GET /ws/slow-${i} HTTP/1.1\r\nHost: ${base}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
                  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
              );
              setTimeout(() => socket.destroy(), 20);
            });
            socket.on('error', () => {});
            socket.on('close', () => resolve());
          }),
      );
      await Promise.all(leaving);
      // Well before the 300 ms authorize is done, nothing is counted any more.
      let connections = -1;
      for (let i = 0; i < 40 && connections !== 0; i++) {
        connections = (await stats()).connections;
        if (connections !== 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(connections).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await stats()).toMatchObject({ connections: 0, subscriptions: 0, liveChannels: 0 });
      // A client that stays through the slow authorize is served.
      const stayed = connect(`ws://${base}/ws/slow-stays`);
      await stayed.opened;
      stayed.ws.close();
      // Event streams whose clients leave during the slow authorize: released too.
      await Promise.all(
        Array.from(
          { length: 20 },
          (_, i) =>
            new Promise<void>((resolve) => {
              const socket = tcpConnect(port, '127.0.0.1', () => {
                socket.write(
                  `GET /events/slow-sse-${i} HTTP/1.1\r\nHost: ${base}\r\nAccept: text/event-stream\r\n\r\n`,
                );
                setTimeout(() => socket.destroy(), 20);
              });
              socket.on('error', () => {});
              socket.on('close', () => resolve());
            }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await stats()).toMatchObject({ connections: 0, subscriptions: 0, liveChannels: 0 });
    });

    const stats = async () =>
      (await (await fetch(`http://${base}/stats`)).json()) as {
        connections: number;
        liveChannels: number;
        faults: number;
        aborted: number;
      };
    const target = (): InputTarget => ({
      port: Number(base.split(':')[1]),
      http: true,
      runtimeAnswers: runtime.runtimeAnswers,
      resolvesPaths: runtime.resolvesPaths,
      state: async () => {
        const { connections, liveChannels, faults } = await stats();
        return { connections, liveChannels, faults };
      },
      stored: async (channel) =>
        ((await (await fetch(`http://${base}/events/${channel}?after=0-0`)).json()) as { events: unknown[] }).events
          .length,
      publish: (channel) => publish(channel, 0),
    });

    it('answers the table of requests and their answers, and holds nothing after (issue #20)', async () => {
      await checkInputTable(target());
    }, 30_000);

    it('holds nothing for 60 requests with Upgrade but no Connection: Upgrade on one keep-alive connection', async () => {
      await checkKeepAliveLockout(target(), `ws://${base}/ws`);
    }, 30_000);

    it('counts request bodies a client cut short or broke, and reports none of them as a fault', async () => {
      const port = Number(base.split(':')[1]);
      const before = await stats();
      const head = (framing: string) =>
        `POST /events/bodies HTTP/1.1\r\nHost: ${base}\r\nContent-Type: application/json\r\n${framing}\r\n`;
      const cut = '{"type":"t","pay';
      await rawBytes(port, `${head('Content-Length: 100\r\n')}${cut}`, 100);
      await rawBytes(port, `${head('Transfer-Encoding: chunked\r\n')}zz\r\n${cut}\r\n0\r\n\r\n`, 300);
      let after = await stats();
      for (let i = 0; i < 50 && after.aborted < before.aborted + runtime.abortedBodiesSeen; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = await stats();
      }
      expect({ aborted: after.aborted - before.aborted, faults: after.faults - before.faults }).toEqual({
        aborted: runtime.abortedBodiesSeen,
        faults: 0,
      });
      expect(await target().stored('bodies')).toBe(0);
    });

    it('refuses a frame over maxFrameBytes with 1009, the runtime setting no limit of ours', async () => {
      const socket = connect(`ws://${base}/ws`);
      await socket.opened;
      socket.ws.send(JSON.stringify({ op: 'subscribe', channel: 'x'.repeat(20 * 1024) }));
      expect((await socket.closed).code).toBe(1009);
    });

    it('resumes an event stream from Last-Event-ID, and reports expiry', async () => {
      const events: StoredEvent[] = [];
      for (let n = 0; n < 3; n++) events.push(await publish('sse', n));
      const stream = await openSse(`http://${base}/events/sse`, { 'last-event-id': events[0]?.id as string });
      await stream.until(() => stream.messages.length === 2);
      expect(stream.messages.map((message) => message.id)).toEqual([events[1]?.id, events[2]?.id]);
      await stream.until(() => stream.comments.includes('keep-alive'), 'a keep-alive');
      stream.drop();
      // The server keeps 50 events per channel: the first is gone after 60 more.
      for (let n = 3; n < 63; n++) await publish('sse', n);
      const expired = await openSse(`http://${base}/events/sse`, { 'last-event-id': events[0]?.id as string });
      await expired.ended;
      expect(expired.messages.map((message) => message.event)).toEqual(['expired']);
    });
  });
}
