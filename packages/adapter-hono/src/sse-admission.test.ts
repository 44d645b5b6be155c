import { connect as tcpConnect } from 'node:net';
import { type EventStore, ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from './test-support/node-app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SLOW_MS = 1_500;

// A memory store whose latestCursor takes its time for `slow-store…` channels.
function slowStore(): EventStore {
  const memory = new MemoryEventStore();
  return {
    append: (stream, request) => memory.append(stream, request),
    replay: (stream, query) => memory.replay(stream, query),
    read: (stream, query) => memory.read(stream, query),
    healthcheck: () => memory.healthcheck(),
    close: () => memory.close(),
    async latestCursor(stream) {
      if (stream.channel.startsWith('slow-store')) await sleep(SLOW_MS);
      return memory.latestCursor(stream);
    },
  };
}

// An event stream request over raw TCP whose client hangs up after 20 ms (FIN or RST).
function leavingStream(port: number, path: string, reset: boolean): Promise<void> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
      setTimeout(() => (reset ? socket.resetAndDestroy() : socket.destroy()), 20);
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

async function within(ms: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

// Admission (docs/architecture.md) on event streams: a stream whose client leaves releases what it held
// at once, even while authorize or the store is still working for it.
describe('Server-Sent Events: clients that leave', () => {
  let app: RunningApp | undefined;
  let rail: ReplayRail | undefined;
  afterEach(async () => {
    await app?.close();
    await rail?.close();
  });

  it('200 clients gone during a slow authorize or a slow store hold nothing 1 s later', async () => {
    rail = new ReplayRail({ store: slowStore() });
    app = await startApp(rail, {
      authorize: async ({ channel }) => {
        if (channel.startsWith('slow-authorize')) await sleep(SLOW_MS);
        return true;
      },
    });
    const port = Number(new URL(app.base).port);
    const routes = app.routes;
    const served = rail;
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        leavingStream(port, `/events/${i % 2 === 0 ? 'slow-authorize' : 'slow-store'}-${i}`, i % 4 >= 2),
      ),
    );
    expect(await within(1_000, () => routes.connections === 0)).toBe(true);
    await sleep(SLOW_MS);
    expect(await within(1_000, () => served.subscriptions === 0 && served.liveChannels === 0)).toBe(true);
    expect(routes.connections).toBe(0);
  });
});
