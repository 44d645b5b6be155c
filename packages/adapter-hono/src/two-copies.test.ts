import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type EventStore, isReplayRailError, ReplayRail, type StoredEvent } from '@replayrail/core';
import { ReplayWindowExpiredError } from '@replayrail/core/errors';
import { connect } from '@replayrail/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from './test-support/node-app.js';

// An app can end up with two copies of @replayrail/core: a store bundled with its
// own, two versions in node_modules. Errors must be told apart by their code (a
// branded guard), never by `instanceof`, or the two copies behave differently.
// Here the store and its errors come from a second copy of core, loaded from its
// own node_modules; the rail, the hub and the routes from this one.
const packagesDir = join(import.meta.dirname, '..', '..');
let root: string;
let MemoryEventStoreB: new (options?: object) => EventStore;
let coreErrorsB: Record<string, unknown>;

function installCopy(name: string, from: string): void {
  const target = join(root, 'node_modules', '@replayrail', name);
  mkdirSync(target, { recursive: true });
  cpSync(join(from, 'dist'), join(target, 'dist'), { recursive: true });
  // The built files only: without the source condition the workspace's tests resolve to.
  const manifest = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const text = JSON.stringify(manifest).replaceAll(/"@replayrail\/source":"[^"]*",/g, '');
  writeFileSync(join(target, 'package.json'), text);
}

beforeAll(async () => {
  if (!existsSync(join(packagesDir, 'core', 'dist', 'index.js'))) {
    throw new Error('core is not built: run `pnpm build` first (the second copy is made from dist/)');
  }
  root = mkdtempSync(join(tmpdir(), 'replayrail-two-copies-'));
  installCopy('core', join(packagesDir, 'core'));
  installCopy('store-memory', join(packagesDir, 'store-memory'));
  for (const dependency of ['zod', '@noble/hashes']) {
    const link = join(root, 'node_modules', dependency);
    mkdirSync(join(link, '..'), { recursive: true });
    symlinkSync(realpathSync(join(packagesDir, 'core', 'node_modules', dependency)), link);
  }
  const entry = (name: string) =>
    pathToFileURL(join(root, 'node_modules', '@replayrail', name, 'dist', 'index.js')).href;
  // The second copy's errors, from their own door (the root keeps only what applications throw).
  const errorsB = pathToFileURL(join(root, 'node_modules', '@replayrail', 'core', 'dist', 'errors.js')).href;
  coreErrorsB = (await import(errorsB)) as Record<string, unknown>;
  ({ MemoryEventStore: MemoryEventStoreB } = (await import(entry('store-memory'))) as {
    MemoryEventStore: typeof MemoryEventStoreB;
  });
});

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe('two copies of @replayrail/core in one process', () => {
  it('are two copies: the other copy’s error classes are not ours, its errors still are ReplayRail errors', () => {
    const Theirs = (coreErrorsB as { ReplayWindowExpiredError: typeof ReplayWindowExpiredError })
      .ReplayWindowExpiredError;
    expect(Theirs).not.toBe(ReplayWindowExpiredError);
    const theirs = new Theirs('gone');
    expect(theirs instanceof ReplayWindowExpiredError).toBe(false);
    expect(isReplayRailError(theirs, 'replay_window_expired')).toBe(true);
  });

  it('a retried POST answers 200 with the first event', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStoreB() });
    const app = await startApp(rail);
    try {
      const post = () =>
        fetch(`${app.base}/events/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'order.created', payload: { order_id: 'o1' }, event_id: 'evt-1' }),
        });
      const first = await post();
      expect(first.status).toBe(201);
      const created = (await first.json()) as StoredEvent;
      const retry = await post();
      expect(retry.status).toBe(200);
      expect(await retry.json()).toEqual(created);
    } finally {
      await app.close();
      await rail.close();
    }
  });

  it('an expired multiplexed subscription gets its expired frame and the socket stays open', async () => {
    const rail = new ReplayRail({
      store: new MemoryEventStoreB(),
      config: { maxStreamLength: 2, approximateTrimming: false },
    });
    const app = await startApp(rail);
    try {
      const first = await rail.publish({ channel: 'gone', type: 't', payload: {} });
      for (let n = 0; n < 3; n++) await rail.publish({ channel: 'gone', type: 't', payload: { n } });
      const socket = connect(`${app.base.replace('http', 'ws')}/ws`);
      await socket.opened;
      socket.ws.send(JSON.stringify({ op: 'subscribe', channel: 'gone', after: first.id }));
      await socket.until((frames) => frames.some((frame) => frame.op === 'expired'));
      expect(socket.json().find((frame) => frame.op === 'expired')).toMatchObject({
        channel: 'gone',
        code: 'replay_window_expired',
      });
      socket.ws.send('{"op":"ping"}');
      await socket.until((frames) => frames.some((frame) => frame.op === 'pong'));
      socket.ws.close();
    } finally {
      await app.close();
      await rail.close();
    }
  });
});
