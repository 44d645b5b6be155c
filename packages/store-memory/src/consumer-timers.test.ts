import { ReplayRail } from '@replayrail/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

// The consumer's clocks, on fake timers: the memory store reads the same faked
// Date.now for idle times, so minutes pass in a test and every instant is exact.
describe('rail.consume on fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries after 1 s, 2 s, 4 s (initialMs 1000, doubling, no jitter), then dead-letters at maxDeliveries', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const at: number[] = [];
    const start = Date.now();
    const consumer = rail.consume({
      channel: 'jobs',
      group: 'g',
      maxDeliveries: 4,
      blockMs: 100,
      backoff: { initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0 },
      handler: () => {
        at.push(Date.now() - start);
        throw new Error('down');
      },
      onError: () => {},
    });
    await consumer.start();
    await rail.publish({ channel: 'jobs', type: 'job', payload: {} });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(at).toEqual([0, 1_000, 3_000, 7_000]);
    const [letter] = await rail.group('jobs', 'g').deadLetters();
    expect(letter).toMatchObject({ attempts: 4, firstFailedAt: start, lastFailedAt: start + 7_000 });
    await consumer.stop();
  });

  it('keeps an entry claimed while its handler runs for ten times claimIdleMs: no other consumer runs it', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const runs: string[] = [];
    const options = { channel: 'slow', group: 'g', claimIdleMs: 30_000, blockMs: 1_000 };
    const slow = rail.consume({
      ...options,
      consumer: 'slow',
      handler: async () => {
        runs.push('slow');
        await new Promise((resolve) => setTimeout(resolve, 300_000));
      },
    });
    const other = rail.consume({ ...options, consumer: 'other', handler: () => void runs.push('other') });
    await slow.start();
    await rail.publish({ channel: 'slow', type: 'job', payload: {} });
    await vi.advanceTimersByTimeAsync(1_000);
    await other.start();
    await vi.advanceTimersByTimeAsync(310_000);
    expect(runs).toEqual(['slow']);
    expect((await rail.group('slow', 'g').info())?.pending).toBe(0);
    await Promise.all([slow.stop(), other.stop()]);
  });

  it('reclaims a dead consumer’s entry once claimIdleMs passed, not before', async () => {
    const store = new MemoryEventStore();
    const rail = new ReplayRail({ store });
    const ref = { prefix: rail.config.streamPrefix, channel: 'crash', group: 'g' };
    await store.groups.createGroup(ref, '0-0');
    await rail.publish({ channel: 'crash', type: 'job', payload: {} });
    await store.groups.readGroup(ref, { consumer: 'dead', limit: 1, blockMs: 0 });
    const ran: number[] = [];
    const start = Date.now();
    const rescuer = rail.consume({
      channel: 'crash',
      group: 'g',
      claimIdleMs: 60_000,
      blockMs: 1_000,
      handler: () => void ran.push(Date.now() - start),
    });
    await rescuer.start();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(31_000); // the janitor looks every 30 s
    expect(ran).toEqual([60_000]);
    await rescuer.stop();
  });

  it('removes consumers idle past removeIdleConsumersAfterMs that hold nothing; one holding entries stays', async () => {
    const store = new MemoryEventStore();
    const rail = new ReplayRail({ store });
    const ref = { prefix: rail.config.streamPrefix, channel: 'members', group: 'g' };
    await store.groups.createGroup(ref, '0-0');
    await rail.publish({ channel: 'members', type: 'job', payload: {} });
    await rail.publish({ channel: 'members', type: 'job', payload: {} });
    const done = await store.groups.readGroup(ref, { consumer: 'gone', limit: 1, blockMs: 0 });
    await store.groups.ack(ref, done.entries);
    await store.groups.readGroup(ref, { consumer: 'holder', limit: 1, blockMs: 0 });
    const names = async () =>
      (await rail.group('members', 'g').info())?.consumers.map((consumer) => consumer.name).sort();
    const janitor = rail.consume({
      channel: 'members',
      group: 'g',
      consumer: 'janitor',
      claimIdleMs: 3_600_000, // never reclaims the holder here
      removeIdleConsumersAfterMs: 600_000,
      blockMs: 1_000,
      handler: () => {},
    });
    await janitor.start();
    await vi.advanceTimersByTimeAsync(590_000);
    expect(await names()).toEqual(['gone', 'holder']);
    await vi.advanceTimersByTimeAsync(310_000);
    expect(await names()).toEqual(['holder']);
    await janitor.stop();
  });
});
