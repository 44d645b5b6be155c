import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GroupRef } from '../store/group-store.js';
import { AckBatcher, type AckLimits, type Acknowledgeable } from './ack-batcher.js';

const orders: GroupRef = { prefix: 'p', channel: 'orders', group: 'g' };
const refunds: GroupRef = { prefix: 'p', channel: 'refunds', group: 'g' };
const item = (ref: GroupRef, n: number): Acknowledgeable => ({ ref, entry: { id: `${n}-0`, source: 'stream' } });
// Fake time passing (the window's timer), then the end of that turn: setImmediate
// stays real, so what a timer scheduled for the end of its turn runs before this resolves.
const pass = async (ms: number) => {
  await vi.advanceTimersByTimeAsync(ms);
  await new Promise<void>((resolve) => setImmediate(resolve));
};

function recorder(limits: AckLimits, fail: (ids: string[]) => boolean = () => false) {
  const writes: { channel: string; ids: string[]; at: number }[] = [];
  const release: (() => void)[] = [];
  const done: { ids: string[]; error: unknown }[] = [];
  const started = Date.now();
  const write = (ref: GroupRef, entries: readonly { id: string }[]) => {
    const ids = entries.map((e) => e.id);
    writes.push({ channel: ref.channel, ids, at: Date.now() - started });
    return new Promise<void>((resolve, reject) => {
      release.push(() => (fail(ids) ? reject(new Error(`write of ${ids.join(',')} failed`)) : resolve()));
    });
  };
  const written = (items: readonly Acknowledgeable[], error: unknown) =>
    done.push({ ids: items.map((i) => i.entry.id), error });
  // Writes answered as soon as they are made.
  const answering = async (ms: number) => {
    for (let left = ms; left >= 0; left--) {
      for (const go of release.splice(0)) go();
      await pass(left === 0 ? 0 : 1);
    }
  };
  return { writes, release, done, answering, batcher: new AckBatcher(write, written, limits) };
}

describe('AckBatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits windowMs after the first acknowledgement waiting, then writes all that wait in one write', async () => {
    const { writes, batcher, answering } = recorder({ windowMs: 10, batchSize: 100 });
    batcher.ack(item(orders, 1));
    await pass(4);
    batcher.ack(item(orders, 2));
    await pass(5);
    expect(writes).toEqual([]);
    await pass(1);
    expect(writes).toEqual([{ channel: 'orders', ids: ['1-0', '2-0'], at: 10 }]);
    // The next one opens a window of its own.
    batcher.ack(item(orders, 3));
    await answering(9);
    expect(writes).toHaveLength(1);
    await answering(1);
    expect(writes[1]).toEqual({ channel: 'orders', ids: ['3-0'], at: 20 });
  });

  it('writes once batchSize wait, at the end of that turn with whatever else finished in it', async () => {
    const { writes, batcher } = recorder({ windowMs: 10, batchSize: 3 });
    batcher.ack(item(orders, 1));
    batcher.ack(item(orders, 2));
    await pass(0);
    expect(writes).toEqual([]);
    batcher.ack(item(orders, 3));
    await Promise.resolve();
    batcher.ack(item(orders, 4)); // same turn, a microtask later
    await pass(0);
    expect(writes).toEqual([{ channel: 'orders', ids: ['1-0', '2-0', '3-0', '4-0'], at: 0 }]);
    // The window it cut short is gone: nothing more is written when it would have ended.
    await pass(20);
    expect(writes).toHaveLength(1);
  });

  it('with windowMs 0, writes at the end of each turn; what finishes during a write goes in the next', async () => {
    const { writes, release, done, batcher } = recorder({ windowMs: 0, batchSize: 100 });
    batcher.ack(item(orders, 1));
    await Promise.resolve();
    batcher.ack(item(orders, 2));
    expect(writes).toHaveLength(0);
    await pass(0);
    expect(writes).toEqual([{ channel: 'orders', ids: ['1-0', '2-0'], at: 0 }]);
    batcher.ack(item(orders, 3));
    batcher.ack(item(orders, 4));
    await pass(0);
    expect(writes).toHaveLength(1);
    release.shift()?.();
    await pass(0);
    expect(done).toEqual([{ ids: ['1-0', '2-0'], error: undefined }]);
    expect(writes[1]).toEqual({ channel: 'orders', ids: ['3-0', '4-0'], at: 0 });
  });

  it('holds what finishes during a write until its own window ends, or goes right after it if that ended', async () => {
    const { writes, release, batcher } = recorder({ windowMs: 10, batchSize: 100 });
    batcher.ack(item(orders, 1));
    await pass(10);
    expect(writes).toHaveLength(1); // in flight until released
    batcher.ack(item(orders, 2)); // its window: until 20
    await pass(5);
    release.shift()?.();
    await pass(0);
    expect(writes).toHaveLength(1); // its window is still open
    await pass(5);
    expect(writes[1]).toEqual({ channel: 'orders', ids: ['2-0'], at: 20 });
    batcher.ack(item(orders, 3)); // its window ends while 2 is still being written
    await pass(15);
    expect(writes).toHaveLength(2);
    release.shift()?.();
    await pass(0);
    expect(writes[2]).toEqual({ channel: 'orders', ids: ['3-0'], at: 35 });
  });

  it('writes promptly what something waits for, and flush() what waits on one channel or all', async () => {
    const { writes, batcher } = recorder({ windowMs: 1_000, batchSize: 100 });
    batcher.ack(item(orders, 1));
    batcher.ack(item(refunds, 2));
    batcher.ack(item(orders, 3), true);
    await pass(0);
    expect(writes).toEqual([{ channel: 'orders', ids: ['1-0', '3-0'], at: 0 }]);
    batcher.ack(item(orders, 4));
    batcher.flush(refunds);
    await pass(0);
    expect(writes[1]).toEqual({ channel: 'refunds', ids: ['2-0'], at: 0 });
    await pass(1); // orders is still writing 1 and 3: 4 waits for its window or a flush
    expect(writes).toHaveLength(2);
  });

  it('hurried (a consumer stopping), writes what waits at once and each later one at the end of its turn', async () => {
    const { writes, batcher, answering } = recorder({ windowMs: 1_000, batchSize: 100 });
    batcher.ack(item(orders, 1));
    batcher.ack(item(refunds, 2));
    batcher.hurry();
    await answering(0);
    expect(writes.map((w) => [w.channel, w.ids, w.at])).toEqual([
      ['orders', ['1-0'], 0],
      ['refunds', ['2-0'], 0],
    ]);
    batcher.ack(item(orders, 3));
    await answering(0);
    expect(writes[2]).toEqual({ channel: 'orders', ids: ['3-0'], at: 0 });
    // Relaxed (started again): the window applies again.
    batcher.relax();
    batcher.ack(item(orders, 4));
    await answering(999);
    expect(writes).toHaveLength(3);
    await answering(1);
    expect(writes[3]).toEqual({ channel: 'orders', ids: ['4-0'], at: 1_000 });
  });

  it('keeps channels apart and hands back a failed write with its error', async () => {
    const { writes, release, done, batcher } = recorder({ windowMs: 0, batchSize: 100 }, (ids) => ids.includes('2-0'));
    batcher.ack(item(orders, 1));
    batcher.ack(item(refunds, 2));
    await pass(0);
    expect(writes.map((w) => w.channel).sort()).toEqual(['orders', 'refunds']);
    for (const go of release.splice(0)) go();
    await pass(0);
    expect(done.find((d) => d.ids[0] === '1-0')?.error).toBeUndefined();
    expect(String(done.find((d) => d.ids[0] === '2-0')?.error)).toContain('write of 2-0 failed');
    // The channel writes again after a failure.
    batcher.ack(item(refunds, 3));
    await pass(0);
    release.shift()?.();
    await pass(0);
    expect(done.at(-1)).toEqual({ ids: ['3-0'], error: undefined });
  });

  it('splits a long queue into writes of at most 500, one after the other', async () => {
    const { writes, release, done, batcher } = recorder({ windowMs: 10, batchSize: 100 });
    for (let n = 0; n < 1_200; n++) batcher.ack(item(orders, n));
    for (let i = 0; i < 3; i++) {
      await pass(0);
      release.shift()?.();
    }
    await pass(0);
    expect(writes.map((w) => w.ids.length)).toEqual([500, 500, 200]);
    expect(done.map((d) => d.ids.length)).toEqual([500, 500, 200]);
  });
});
