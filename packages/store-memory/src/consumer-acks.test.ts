import { type ConsumeOptions, type Consumer, ReplayRail } from '@replayrail/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The acknowledgement window and batch of rail.consume (ack-batcher.ts in core), on
// fake timers: the memory store reads the same faked clock for idle times, so every
// instant is exact and nothing here depends on the machine's speed.
describe('rail.consume acknowledgements, on fake timers', () => {
  let store: MemoryEventStore;
  let rail: ReplayRail;
  let acks: number[][];
  const consumers: Consumer[] = [];

  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z') });
    store = new MemoryEventStore();
    rail = new ReplayRail({ store });
    acks = [];
    const ack = store.groups.ack.bind(store.groups);
    vi.spyOn(store.groups, 'ack').mockImplementation((ref, entries) => {
      acks.push(entries.map((entry) => Number(entry.id.split('-')[0])));
      return ack(ref, entries);
    });
  });
  afterEach(async () => {
    const stopping = Promise.all(consumers.splice(0).map((consumer) => consumer.stop({ graceMs: 100 })));
    await vi.advanceTimersByTimeAsync(200);
    await stopping;
    vi.useRealTimers();
  });

  const consume = (options: Omit<ConsumeOptions, 'group'>) => {
    const consumer = rail.consume({ group: 'g', blockMs: 1_000, ...options });
    consumers.push(consumer);
    return consumer;
  };
  const publish = async (channel: string, count: number, key = 'k') => {
    for (let n = 0; n < count; n++) await rail.publish({ channel, type: 'job', payload: { n, key } });
  };
  const pending = async (channel: string) => (await rail.group(channel, 'g').info())?.pending;

  it('acknowledges what finished within ackWindowMs in one write, once the window from the first one ends', async () => {
    const done: number[] = [];
    const consumer = consume({
      channel: 'window',
      ackWindowMs: 1_000,
      handler: async () => {
        await sleep(100);
        done.push(Date.now());
      },
    });
    await consumer.start();
    await publish('window', 3);
    await vi.advanceTimersByTimeAsync(400); // the three end 100, 200 and 300 ms in
    expect(done).toHaveLength(3);
    expect(acks).toEqual([]);
    const firstEnd = done[0] as number;
    await vi.advanceTimersByTimeAsync(firstEnd + 990 - Date.now());
    expect(await pending('window')).toBe(3);
    await vi.advanceTimersByTimeAsync(20);
    expect(await pending('window')).toBe(0);
    expect(acks.map((ids) => ids.length)).toEqual([3]);
  });

  it('writes as soon as ackBatchSize wait, without waiting out the window', async () => {
    const consumer = consume({
      channel: 'count',
      ackWindowMs: 10_000,
      ackBatchSize: 5,
      handler: () => sleep(100),
    });
    await consumer.start();
    await publish('count', 12);
    await vi.advanceTimersByTimeAsync(1_250);
    expect(acks.map((ids) => ids.length)).toEqual([5, 5]);
    expect(await pending('count')).toBe(2);
    // The last two wait for their window: 10 s from the first of them.
    await vi.advanceTimersByTimeAsync(9_800);
    expect(await pending('count')).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(acks.map((ids) => ids.length)).toEqual([5, 5, 2]);
    expect(await pending('count')).toBe(0);
  });

  it('writes a waiting acknowledgement before its claim could lapse, even if no touch gets through', async () => {
    // The worst case the window allows: the entry last touched (here: delivered) a
    // touch period (claimIdleMs / 3) before its handler ended, and the longest window.
    const claimIdleMs = 3_000;
    const runs: string[] = [];
    let touchesLost = false;
    const touch = store.groups.touch.bind(store.groups);
    vi.spyOn(store.groups, 'touch').mockImplementation((...args) =>
      touchesLost ? Promise.reject(new Error('touch lost')) : touch(...args),
    );
    const held = consume({
      channel: 'lapse',
      consumer: 'held',
      claimIdleMs,
      ackWindowMs: claimIdleMs / 3,
      handler: async () => {
        runs.push('held');
        await sleep(claimIdleMs / 3);
      },
    });
    const rival = consume({
      channel: 'lapse',
      consumer: 'rival',
      claimIdleMs,
      handler: () => void runs.push('rival'),
    });
    await held.start();
    await publish('lapse', 1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual(['held']);
    // From now on no touch of the held consumer reaches the store.
    touchesLost = true;
    await rival.start();
    await vi.advanceTimersByTimeAsync((claimIdleMs * 2) / 3 + 10);
    expect(await pending('lapse')).toBe(0);
    await vi.advanceTimersByTimeAsync(claimIdleMs * 3);
    expect(runs).toEqual(['held']);
    expect(acks).toEqual([[expect.any(Number)]]);
  });

  it('stop() writes the acknowledgements waiting for their window, and those of handlers finishing in its grace, at once', async () => {
    const started = Date.now();
    let slow = true;
    const consumer = consume({
      channel: 'stop',
      concurrency: 4,
      ackWindowMs: 5_000,
      handler: async () => {
        if (slow) {
          slow = false;
          await sleep(500);
        }
      },
    });
    await consumer.start();
    await publish('stop', 4);
    await vi.advanceTimersByTimeAsync(100);
    expect(await pending('stop')).toBe(4); // three done, waiting for the window; one running
    const stopped = consumer.stop({ graceMs: 2_000 });
    await vi.advanceTimersByTimeAsync(10);
    expect(acks.map((ids) => ids.length)).toEqual([3]);
    await vi.advanceTimersByTimeAsync(400); // the slow one ends, 500 ms in
    await stopped;
    expect(acks.map((ids) => ids.length)).toEqual([3, 1]);
    expect(await pending('stop')).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000); // no window was waited out
  });

  it('does not pace an ordering key, or a consumer without prefetch, by the window', async () => {
    const order: number[] = [];
    const keyed = consume({
      channel: 'keyed',
      concurrency: 4,
      ackWindowMs: 5_000,
      orderingKey: (event) => event.payload.key as string,
      handler: (event) => void order.push(event.payload.n as number),
    });
    const lean: number[] = [];
    const unbuffered = consume({
      channel: 'lean',
      prefetch: 0,
      ackWindowMs: 5_000,
      handler: (event) => void lean.push(event.payload.n as number),
    });
    await keyed.start();
    await unbuffered.start();
    await publish('keyed', 6);
    await publish('lean', 6);
    await vi.advanceTimersByTimeAsync(100);
    // Each of one key waited for the acknowledgement of the one before, not for a window.
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lean).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
