import { describe, expect, it } from 'vitest';
import type { GroupEntry, GroupRef } from '../store/group-store.js';
import { Held, HeldEntries } from './held.js';

const orders: GroupRef = { prefix: 'p', channel: 'orders', group: 'g' };
const refunds: GroupRef = { prefix: 'p', channel: 'refunds', group: 'g' };
const entry = (id: string, source: 'stream' | 'redrive' = 'stream'): GroupEntry => ({
  id,
  source,
  origin: id,
  event: undefined,
  error: undefined,
  deliveries: 1,
  fields: {},
  failure: undefined,
});

describe('HeldEntries', () => {
  it('holds one entry per channel, source and ID, and counts them', () => {
    const held = new HeldEntries();
    const first = new Held(orders, entry('1-0'));
    expect(held.add(first)).toBe(true);
    expect(held.add(new Held(orders, entry('1-0')))).toBe(false); // the same entry, claimed back
    expect(held.add(new Held(orders, entry('1-0', 'redrive')))).toBe(true);
    expect(held.add(new Held(refunds, entry('1-0')))).toBe(true);
    expect(held.size).toBe(3);
    expect(held.get(orders, { id: '1-0', source: 'stream' })).toBe(first);
    expect(held.has(refunds, { id: '2-0', source: 'stream' })).toBe(false);
    expect(held.on(orders)).toHaveLength(2);
  });

  it('lets go only the object it holds, and takeAll empties it', () => {
    const held = new HeldEntries();
    const first = new Held(orders, entry('1-0'));
    held.add(first);
    held.delete(new Held(orders, entry('1-0'))); // another object for the same entry: kept
    expect(held.size).toBe(1);
    held.delete(first);
    held.delete(first);
    expect(held.size).toBe(0);
    held.add(new Held(orders, entry('2-0')));
    held.add(new Held(refunds, entry('3-0')));
    expect(held.takeAll().map((h) => h.entry.id)).toEqual(['2-0', '3-0']);
    expect(held.size).toBe(0);
    expect(held.on(orders)).toEqual([]);
  });

  it('aborts a held entry’s signal, made before or after', () => {
    const early = new Held(orders, entry('1-0'));
    const { signal } = early;
    early.abort(new Error('claimed'));
    expect(signal.aborted).toBe(true);
    const late = new Held(orders, entry('2-0'));
    late.abort(new Error('stopped'));
    expect(late.signal.aborted).toBe(true);
  });
});
