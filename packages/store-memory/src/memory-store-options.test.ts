import { ReplayRail } from '@replayrail/core';
import { ConfigError } from '@replayrail/core/errors';
import { describe, expect, it, vi } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

function railWithClock(start: number, options: { idempotencyTtlSeconds?: number | null; idempotency?: boolean } = {}) {
  let now = start;
  const store = new MemoryEventStore({ ...options, now: () => now });
  const rail = new ReplayRail({ store, config: { maxStreamLength: null } });
  const setNow = (value: number): void => {
    now = value;
  };
  return { rail, store, setNow };
}

describe('MemoryEventStore', () => {
  it('makes IDs from the clock, counting the sequence within a millisecond', async () => {
    const { rail, setNow } = railWithClock(1000);
    const ids: string[] = [];
    for (const ms of [1000, 1000, 1001, 1001, 1001]) {
      setNow(ms);
      ids.push((await rail.publish({ channel: 'c', type: 't', payload: {} })).id);
    }
    expect(ids).toEqual(['1000-0', '1000-1', '1001-0', '1001-1', '1001-2']);
  });

  it('reads an integer outside ±(2^53 − 1) as an error naming it, or as its exact digits when asked', async () => {
    const fields = {
      event_id: 'e',
      channel: 'users',
      type: 't',
      payload: '{"user_id":9007199254740993}',
      actor: 'null',
      metadata: '{}',
      created_at: '2026-06-29T12:00:00Z',
    };
    const strict = new MemoryEventStore();
    const id = strict.appendRaw({ prefix: 'rr', channel: 'users' }, fields);
    await expect(new ReplayRail({ store: strict }).replay('users')).rejects.toMatchObject({
      code: 'serialization_error',
      context: { id, path: 'payload.user_id' },
    });
    const lossless = new MemoryEventStore({ largeIntegers: 'string' });
    lossless.appendRaw({ prefix: 'rr', channel: 'users' }, fields);
    const { events } = await new ReplayRail({ store: lossless }).replay('users');
    expect(events[0]?.payload).toEqual({ user_id: '9007199254740993' });
    expect(() => new MemoryEventStore({ largeIntegers: 'number' as 'string' })).toThrow(ConfigError);
  });

  it("reads a published bigint back by largeIntegers: its exact digits with 'string'", async () => {
    const store = new MemoryEventStore({ largeIntegers: 'string' });
    const rail = new ReplayRail({ store });
    const payload = { user_id: 2n ** 63n - 1n, max: 2n ** 64n - 1n, min: -(2n ** 63n), small: 7n };
    const published = await rail.publish({ channel: 'users', type: 'user.created', payload });
    expect(published.payload).toEqual(payload);
    const { events } = await rail.replay('users');
    expect(events[0]?.payload).toEqual({
      user_id: '9223372036854775807',
      max: '18446744073709551615',
      min: '-9223372036854775808',
      small: 7,
    });
    // An outbox event keeps its bigints, and publishes the same entry.
    const prepared = rail.prepareEvent({ channel: 'users', type: 'user.created', payload, eventId: 'evt-outbox' });
    expect(prepared.payload).toEqual(payload);
    const stored = await rail.publishEvent(prepared);
    expect((await rail.replay('users', { after: published.id })).events).toEqual([
      { ...stored, payload: events[0]?.payload },
    ]);
  });

  it('keeps IDs increasing when the clock goes backwards', async () => {
    const { rail, setNow } = railWithClock(5000);
    const first = await rail.publish({ channel: 'c', type: 't', payload: {} });
    setNow(10);
    const second = await rail.publish({ channel: 'c', type: 't', payload: {} });
    expect([first.id, second.id]).toEqual(['5000-0', '5000-1']);
  });

  it('trims exactly with =, and with ~ keeps at least maxLength and at most a tenth more', async () => {
    for (const approximateTrimming of [false, true]) {
      const rail = new ReplayRail({
        store: new MemoryEventStore(),
        config: { maxStreamLength: 100, approximateTrimming },
      });
      const lengths: number[] = [];
      for (let n = 0; n < 350; n++) {
        await rail.publish({ channel: 'c', type: 't', payload: { n } });
        lengths.push((await rail.replay('c', { limit: 1000 })).events.length);
      }
      expect(Math.min(...lengths.slice(100))).toBe(100);
      expect(Math.max(...lengths)).toBe(approximateTrimming ? 110 : 100);
      // Whatever is kept is the newest, in order.
      const kept = (await rail.replay('c', { limit: 1000 })).events.map((event) => event.payload.n);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 350 - kept.length + i));
    }
  });

  it('never hands out 0-0, even at epoch zero', async () => {
    const { rail } = railWithClock(0);
    expect((await rail.publish({ channel: 'c', type: 't', payload: {} })).id).toBe('0-1');
  });

  it('forgets an event_id after its TTL, and never with a null TTL', async () => {
    const order = { channel: 'c', type: 't', payload: {}, eventId: 'evt-1' };
    const expiring = railWithClock(1_000_000, { idempotencyTtlSeconds: 60 });
    const first = await expiring.rail.publish(order);
    expiring.setNow(1_000_000 + 59_999);
    expect((await expiring.rail.publish(order)).id).toBe(first.id);
    expiring.setNow(1_000_000 + 60_000);
    expect((await expiring.rail.publish(order)).id).not.toBe(first.id);

    const forever = railWithClock(1_000_000, { idempotencyTtlSeconds: null });
    const kept = await forever.rail.publish(order);
    forever.setNow(1_000_000 + 365 * 86_400_000);
    expect((await forever.rail.publish(order)).id).toBe(kept.id);
  });

  it('appends every publish when idempotency is off', async () => {
    const { rail } = railWithClock(1, { idempotency: false });
    const order = { channel: 'c', type: 't', payload: {}, eventId: 'evt-1' };
    const [a, b] = [await rail.publish(order), await rail.publish({ ...order, payload: { other: true } })];
    expect(a.id).not.toBe(b.id);
  });

  it('returns the first event rebuilt from the record when trimming removed it', async () => {
    const store = new MemoryEventStore();
    const rail = new ReplayRail({ store, config: { maxStreamLength: 1, approximateTrimming: false } });
    const order = { channel: 'c', type: 't', payload: { n: 1 }, eventId: 'evt-1' };
    const first = await rail.publish(order);
    await rail.publish({ channel: 'c', type: 't', payload: { n: 2 } });
    expect(await rail.publish(order)).toEqual(first);
  });

  it('rejects an invalid TTL', () => {
    expect(() => new MemoryEventStore({ idempotencyTtlSeconds: 0 })).toThrow(ConfigError);
    expect(() => new MemoryEventStore({ idempotencyTtlSeconds: 1.5 })).toThrow(/idempotencyTtlSeconds/);
  });

  it('leaves no timer behind after reads time out or abort', async () => {
    // The store's own timers, tracked through setTimeout / clearTimeout (a count of the
    // process's timers would also see other tests' and vitest's come and go).
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    const live = new Set<unknown>();
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      const handle = realSetTimeout(() => {
        live.delete(handle);
        callback();
      }, ms);
      live.add(handle);
      return handle;
    }) as typeof setTimeout);
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation((handle) => {
      live.delete(handle);
      realClearTimeout(handle);
    });
    try {
      const rail = new ReplayRail({ store: new MemoryEventStore() });
      await Promise.all(Array.from({ length: 50 }, () => rail.read('idle', { after: '0-0', blockMs: 5 })));
      expect(live.size).toBe(0);
      const controller = new AbortController();
      const aborted = rail.read('idle', { after: '0-0', blockMs: 60_000, signal: controller.signal });
      await new Promise((resolve) => realSetTimeout(resolve, 10));
      expect(live.size).toBe(1);
      controller.abort(new Error('done'));
      await expect(aborted).rejects.toThrow('done');
      expect(live.size).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
  });
});
