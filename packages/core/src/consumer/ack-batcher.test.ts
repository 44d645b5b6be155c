import { describe, expect, it } from 'vitest';
import type { EntryRef, GroupRef } from '../store/group-store.js';
import { AckBatcher } from './ack-batcher.js';

const orders: GroupRef = { prefix: 'p', channel: 'orders', group: 'g' };
const refunds: GroupRef = { prefix: 'p', channel: 'refunds', group: 'g' };
const entry = (n: number): EntryRef => ({ id: `${n}-0`, source: 'stream' });
// One turn of the event loop: what the batcher waits for before it writes.
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorder(fail: (ids: string[]) => boolean = () => false) {
  const writes: { channel: string; ids: string[] }[] = [];
  const release: (() => void)[] = [];
  const write = (ref: GroupRef, entries: readonly EntryRef[]) => {
    const ids = entries.map((e) => e.id);
    writes.push({ channel: ref.channel, ids });
    return new Promise<void>((resolve, reject) => {
      release.push(() => (fail(ids) ? reject(new Error(`write of ${ids.join(',')} failed`)) : resolve()));
    });
  };
  return { writes, release, write };
}

describe('AckBatcher', () => {
  it('writes what finished in one turn at once, and what finished during a write in the next one', async () => {
    const { writes, release, write } = recorder();
    const batcher = new AckBatcher(write);
    // Finishing microtasks apart, in one turn (handlers of one read batch): one write.
    const first = [batcher.ack(orders, entry(1))];
    await Promise.resolve();
    first.push(batcher.ack(orders, entry(2)));
    await Promise.resolve().then(() => {});
    first.push(batcher.ack(orders, entry(3)));
    expect(writes).toHaveLength(0);
    await turn();
    expect(writes).toEqual([{ channel: 'orders', ids: ['1-0', '2-0', '3-0'] }]);
    // Finished while that write is in flight: waits for it, then goes in one write.
    const second = [4, 5].map((n) => batcher.ack(orders, entry(n)));
    await turn();
    expect(writes).toHaveLength(1);
    release.shift()?.();
    await Promise.all(first);
    await turn();
    expect(writes[1]).toEqual({ channel: 'orders', ids: ['4-0', '5-0'] });
    release.shift()?.();
    await Promise.all(second);
  });

  it('keeps channels apart and fails only the entries of a failed write', async () => {
    const { writes, release, write } = recorder((ids) => ids.includes('2-0'));
    const batcher = new AckBatcher(write);
    const a = batcher.ack(orders, entry(1));
    const b = batcher.ack(refunds, entry(2));
    await turn();
    expect(writes.map((w) => w.channel).sort()).toEqual(['orders', 'refunds']);
    for (const go of release.splice(0)) go();
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toThrow('write of 2-0 failed');
    // The channel writes again after a failure.
    const c = batcher.ack(refunds, entry(3));
    await turn();
    release.shift()?.();
    await expect(c).resolves.toBeUndefined();
  });

  it('splits a long queue into writes of at most 500', async () => {
    const { writes, release, write } = recorder();
    const batcher = new AckBatcher(write);
    const acks = Array.from({ length: 1_200 }, (_, n) => batcher.ack(orders, entry(n)));
    for (let i = 0; i < 3; i++) {
      await turn();
      release.shift()?.();
    }
    await Promise.all(acks);
    expect(writes.map((w) => w.ids.length)).toEqual([500, 500, 200]);
  });
});
