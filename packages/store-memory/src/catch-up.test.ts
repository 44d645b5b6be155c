import { type EventStore, ReplayRail, type ReplayRailConfig, type StoredEvent } from '@replayrail/core';
import { toWireJson } from '@replayrail/core/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}

// The memory store, recording the page size of every replay call.
function recordingStore(): { store: EventStore; limits: number[] } {
  const memory = new MemoryEventStore();
  const limits: number[] = [];
  const store = new Proxy(memory, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== 'replay') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: Parameters<EventStore['replay']>) => {
        limits.push(args[1].limit);
        return memory.replay(...args);
      };
    },
  });
  return { store, limits };
}

async function railWithBacklog(count: number, payload: object, config: ReplayRailConfig = {}) {
  const recorded = recordingStore();
  const rail = new ReplayRail({ store: recorded.store, config: { maxStreamLength: null, ...config } });
  const first = await rail.publish({ channel: 'c', type: 't', payload: { n: -1 } });
  const missed: StoredEvent[] = [];
  for (let n = 0; n < count; n++)
    missed.push(await rail.publish({ channel: 'c', type: 't', payload: { n, ...payload } }));
  recorded.limits.length = 0;
  return { rail, first, missed, limits: recorded.limits };
}

const ids = (events: readonly StoredEvent[]) => events.map((event) => event.id);

describe('catch-up pages', () => {
  it('grow from defaultReplayLimit to maxReplayLimit while the subscriber keeps up', async () => {
    const { rail, first, missed, limits } = await railWithBacklog(10_000, {});
    const events: StoredEvent[] = [];
    const subscription = await rail.subscribe('c', { after: first.id, onEvent: (event) => events.push(event) });
    await until(() => events.length === missed.length, 'the catch-up');
    expect(ids(events)).toEqual(ids(missed));
    expect(limits.slice(0, 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
    // 100 pages of the default size before; now 14 reads and the one that finds the end.
    expect(limits.length).toBeLessThanOrEqual(16);
    subscription.close();
  });

  it('hold no more than limits.maxCatchUpPageBytes of events once their size is known', async () => {
    const big = 'x'.repeat(8 * 1024);
    const { rail, first, missed, limits } = await railWithBacklog(
      300,
      { big },
      {
        limits: { maxCatchUpPageBytes: 64 * 1024 },
      },
    );
    const events: StoredEvent[] = [];
    const subscription = await rail.subscribe('c', { after: first.id, onEvent: (event) => events.push(event) });
    await until(() => events.length === missed.length, 'the catch-up');
    expect(ids(events)).toEqual(ids(missed));
    // The first page is the default size; every later one fits the budget (8 KiB events: 7).
    expect(limits[0]).toBe(100);
    expect(Math.max(...limits.slice(1))).toBe(7);
    subscription.close();
  });

  it('hand a listener no more bytes than its room (a whole page only when nothing waits)', async () => {
    const budget = 32 * 1024;
    const { rail, first, missed } = await railWithBacklog(
      2_000,
      { pad: 'y'.repeat(200) },
      {
        limits: { maxCatchUpPageBytes: budget },
      },
    );
    // A consumer with a 20 KB buffer that drains 4 KB every 2 ms, as a slow socket would.
    const cap = 20_000;
    let waiting = 0;
    let most = 0;
    const drain = setInterval(() => {
      waiting = Math.max(0, waiting - 4_000);
    }, 2);
    const events: StoredEvent[] = [];
    const subscription = await rail.subscribe('c', {
      after: first.id,
      room: () => (waiting === 0 ? Number.POSITIVE_INFINITY : cap - waiting),
      onEvent: (event, frame) => {
        events.push(event);
        waiting += Buffer.byteLength(frame);
        most = Math.max(most, waiting);
      },
    });
    try {
      await until(() => events.length === missed.length, 'the catch-up');
    } finally {
      clearInterval(drain);
    }
    expect(ids(events)).toEqual(ids(missed));
    // Within the cap while anything waits; one page into an empty buffer: the first
    // (defaultReplayLimit events), then about the byte budget.
    const firstPage = missed.slice(0, 100).reduce((bytes, event) => bytes + Buffer.byteLength(toWireJson(event)), 0);
    expect(most).toBeGreaterThan(cap);
    expect(most).toBeLessThanOrEqual(Math.max(firstPage, budget * 1.1));
    subscription.close();
  });

  it('pace an iterating consumer by maxBuffered instead of ending it as too slow', async () => {
    const { rail, first, missed } = await railWithBacklog(1_000, {});
    const subscription = await rail.subscribe('c', { after: first.id, maxBuffered: 50 });
    const received: StoredEvent[] = [];
    for await (const event of subscription) {
      received.push(event);
      if (received.length % 100 === 0) await tick(1); // a consumer slower than the store
      if (received.length === missed.length) break;
    }
    expect(ids(received)).toEqual(ids(missed));
    expect(await subscription.ended).toBeNull();
  });
});
