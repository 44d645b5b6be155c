import { describe, expect, it } from 'vitest';
import { Slots } from './slots.js';

describe('Slots', () => {
  it('lets at most its size through, then serves waiters first come, first served', async () => {
    const slots = new Slots(2);
    const order: number[] = [];
    await slots.acquire();
    await slots.acquire();
    const waiters = [3, 4, 5].map((n) => slots.acquire().then(() => order.push(n)));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(slots.taken).toBe(2);
    slots.release();
    await waiters[0];
    expect(order).toEqual([3]);
    slots.release();
    slots.release();
    await Promise.all(waiters);
    expect(order).toEqual([3, 4, 5]);
    expect(slots.taken).toBe(2);
    slots.release();
    slots.release();
    expect(slots.taken).toBe(0);
  });

  it('tryAcquire takes a free slot at once, never one a waiter is in line for', async () => {
    const slots = new Slots(1);
    expect(slots.tryAcquire()).toBe(true);
    expect(slots.tryAcquire()).toBe(false);
    const waiter = slots.acquire();
    slots.release(); // handed to the waiter, not left free
    expect(slots.tryAcquire()).toBe(false);
    await waiter;
    slots.release();
    expect(slots.tryAcquire()).toBe(true);
  });

  it('releaseAll wakes every waiter, and each release gives its slot back', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const woken = [slots.acquire(), slots.acquire()];
    slots.releaseAll();
    await Promise.all(woken);
    expect(slots.taken).toBe(3);
    for (let i = 0; i < 3; i++) slots.release();
    expect(slots.taken).toBe(0);
    await slots.acquire();
    expect(slots.taken).toBe(1);
  });
});
