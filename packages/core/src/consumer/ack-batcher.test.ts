import { describe, expect, it } from 'vitest';
import type { GroupRef } from '../store/group-store.js';
import { AckBatcher, type Acknowledgeable } from './ack-batcher.js';

const orders: GroupRef = { prefix: 'p', channel: 'orders', group: 'g' };
const refunds: GroupRef = { prefix: 'p', channel: 'refunds', group: 'g' };
const item = (ref: GroupRef, n: number): Acknowledgeable => ({ ref, entry: { id: `${n}-0`, source: 'stream' } });
// One turn of the event loop: what the batcher waits for before it writes.
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorder(fail: (ids: string[]) => boolean = () => false) {
  const writes: { channel: string; ids: string[] }[] = [];
  const release: (() => void)[] = [];
  const done: { ids: string[]; error: unknown }[] = [];
  const write = (ref: GroupRef, entries: readonly { id: string }[]) => {
    const ids = entries.map((e) => e.id);
    writes.push({ channel: ref.channel, ids });
    return new Promise<void>((resolve, reject) => {
      release.push(() => (fail(ids) ? reject(new Error(`write of ${ids.join(',')} failed`)) : resolve()));
    });
  };
  const written = (items: readonly Acknowledgeable[], error: unknown) =>
    done.push({ ids: items.map((i) => i.entry.id), error });
  return { writes, release, done, batcher: new AckBatcher(write, written) };
}

describe('AckBatcher', () => {
  it('writes what finished in one turn at once, and what finished during a write in the next one', async () => {
    const { writes, release, done, batcher } = recorder();
    // Finishing microtasks apart, in one turn (handlers of one read batch): one write.
    batcher.ack(item(orders, 1));
    await Promise.resolve();
    batcher.ack(item(orders, 2));
    await Promise.resolve().then(() => {});
    batcher.ack(item(orders, 3));
    expect(writes).toHaveLength(0);
    await turn();
    expect(writes).toEqual([{ channel: 'orders', ids: ['1-0', '2-0', '3-0'] }]);
    // Finished while that write is in flight: waits for it, then goes in one write.
    batcher.ack(item(orders, 4));
    batcher.ack(item(orders, 5));
    await turn();
    expect(writes).toHaveLength(1);
    release.shift()?.();
    await turn();
    expect(done).toEqual([{ ids: ['1-0', '2-0', '3-0'], error: undefined }]);
    expect(writes[1]).toEqual({ channel: 'orders', ids: ['4-0', '5-0'] });
    release.shift()?.();
    await turn();
    expect(done[1]).toEqual({ ids: ['4-0', '5-0'], error: undefined });
  });

  it('keeps channels apart and hands back a failed write with its error', async () => {
    const { writes, release, done, batcher } = recorder((ids) => ids.includes('2-0'));
    batcher.ack(item(orders, 1));
    batcher.ack(item(refunds, 2));
    await turn();
    expect(writes.map((w) => w.channel).sort()).toEqual(['orders', 'refunds']);
    for (const go of release.splice(0)) go();
    await turn();
    expect(done.find((d) => d.ids[0] === '1-0')?.error).toBeUndefined();
    expect(String(done.find((d) => d.ids[0] === '2-0')?.error)).toContain('write of 2-0 failed');
    // The channel writes again after a failure.
    batcher.ack(item(refunds, 3));
    await turn();
    release.shift()?.();
    await turn();
    expect(done.at(-1)).toEqual({ ids: ['3-0'], error: undefined });
  });

  it('splits a long queue into writes of at most 500', async () => {
    const { writes, release, done, batcher } = recorder();
    for (let n = 0; n < 1_200; n++) batcher.ack(item(orders, n));
    for (let i = 0; i < 3; i++) {
      await turn();
      release.shift()?.();
    }
    await turn();
    expect(writes.map((w) => w.ids.length)).toEqual([500, 500, 200]);
    expect(done.map((d) => d.ids.length)).toEqual([500, 500, 200]);
  });
});
