import { describe, expect, it } from 'vitest';
import { isReplayRailError, type ReplayRailError } from '../errors.js';
import type { StoredEvent } from '../types.js';
import type { ConformanceContext } from './context.js';

// An entry in the Python library's layout, as written by hand (a raw XADD).
function pythonEntry(channel: string, fields: { payload?: string; created_at?: string; event_id?: string }) {
  return {
    event_id: fields.event_id ?? `py-${Math.random().toString(36).slice(2)}`,
    channel,
    type: 'order.created',
    payload: fields.payload ?? '{}',
    actor: 'null',
    metadata: '{}',
    created_at: fields.created_at ?? '2026-06-29T12:00:00Z',
  };
}

// What a call threw, for assertions on it.
async function thrown(run: () => Promise<unknown>): Promise<ReplayRailError> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isReplayRailError(error)) throw new Error(`expected a ReplayRail error, got ${String(error)}`);
  return error;
}

/**
 * Entries other writers stored (the Python library, a raw XADD): a page ends before
 * one that cannot be decoded and the next page names it; `created_at` in another
 * ISO form reads in the envelope's; a bigint is stored as its exact integer.
 */
export function foreignEntryTests(ctx: () => ConformanceContext): void {
  describe('entries other writers stored', () => {
    it('returns the events before an undecodable entry, then reports it by ID, with no gap and no duplicate', async () => {
      const { rail: makeRail, harness, stream } = ctx();
      const rail = makeRail();
      const good = await rail.publish({ channel: 'mixed', type: 't', payload: { n: 1 } });
      // Python writes float('nan') as a bare NaN, which JSON.parse rejects.
      const nan = await harness.appendRaw(stream('mixed'), pythonEntry('mixed', { payload: '{"value":NaN}' }));
      const noTime = await harness.appendRaw(stream('mixed'), pythonEntry('mixed', { created_at: 'not-a-date' }));
      const after = await rail.publish({ channel: 'mixed', type: 't', payload: { n: 2 } });

      expect(await rail.replay('mixed', { after: '0-0', limit: 10 })).toEqual({
        events: [good],
        next: good.id,
        hasMore: true,
      });
      const first = await thrown(() => rail.replay('mixed', { after: good.id, limit: 10 }));
      expect(first.code).toBe('serialization_error');
      expect(first.context).toMatchObject({ id: nan, field: 'payload' });
      expect(first.message).toContain(nan);
      const second = await thrown(() => rail.replay('mixed', { after: nan, limit: 10 }));
      expect(second.context).toMatchObject({ id: noTime, field: 'created_at', value: 'not-a-date' });
      expect(second.message).toContain(noTime);
      expect(await rail.replay('mixed', { after: noTime, limit: 10 })).toEqual({
        events: [after],
        next: after.id,
        hasMore: false,
      });
      // The same from a time, and within `until`.
      expect((await rail.replay('mixed', { since: new Date(0), limit: 10 })).events).toEqual([good]);
      expect(await rail.replay('mixed', { after: '0-0', until: after.id })).toMatchObject({ hasMore: true });

      // replayAll: the events before it, then the error naming it.
      const seen: StoredEvent[] = [];
      const ended = await thrown(async () => {
        for await (const event of rail.replayAll('mixed', { after: '0-0', pageSize: 10 })) seen.push(event);
      });
      expect(seen).toEqual([good]);
      expect(ended.context.id).toBe(nan);

      // A subscription catching up: every good event once, in order, each bad entry told by ID.
      const events: string[] = [];
      const skipped: unknown[] = [];
      const subscription = await rail.subscribe('mixed', {
        after: '0-0',
        onEvent: (event) => events.push(event.id),
        onError: (error) => skipped.push(error.context.id),
      });
      await expect.poll(() => events).toEqual([good.id, after.id]);
      expect(skipped).toEqual([nan, noTime]);
      subscription.close();

      // Iterated: each bad entry told in its place, after the events before it.
      const told: string[] = [];
      const iterated = await rail.subscribe('mixed', {
        after: '0-0',
        onError: (error) => told.push(`skipped ${String(error.context.id)}`),
      });
      for await (const event of iterated) {
        told.push(event.id);
        if (event.id === after.id) break;
      }
      expect(told).toEqual([good.id, `skipped ${nan}`, `skipped ${noTime}`, after.id]);
    });

    it('reads a created_at in another ISO form in the envelope form', async () => {
      const { rail: makeRail, harness, stream } = ctx();
      const rail = makeRail();
      const forms: [string, string][] = [
        ['2026-06-29T12:00:00.123000Z', '2026-06-29T12:00:00.123000Z'],
        ['2026-06-29T12:00:00Z', '2026-06-29T12:00:00Z'],
        ['2026-06-29T14:00:00+02:00', '2026-06-29T12:00:00Z'],
        ['2026-06-29T12:00:00+00:00', '2026-06-29T12:00:00Z'],
        ['2026-06-29T12:00:00.123Z', '2026-06-29T12:00:00.123000Z'],
        ['2026-06-29T12:00:00.123456789Z', '2026-06-29T12:00:00.123456Z'],
        ['2026-06-29T12:00:00.000000Z', '2026-06-29T12:00:00Z'],
        ['2026-06-29T09:30:00.5-02:30', '2026-06-29T12:00:00.500000Z'],
      ];
      for (const [stored] of forms) {
        await harness.appendRaw(stream('times'), pythonEntry('times', { created_at: stored }));
      }
      const { events } = await rail.replay('times', { after: '0-0' });
      expect(events.map((event) => event.created_at)).toEqual(forms.map(([, read]) => read));
    });

    it('stores a bigint within 64 bits as its exact integer, and refuses one past them, storing nothing', async () => {
      const rail = ctx().rail();
      const small = await rail.publish({ channel: 'big', type: 't', payload: { n: 5n, max: 2n ** 53n - 1n } });
      expect((await rail.replay('big', { after: '0-0' })).events[0]?.payload).toEqual({
        n: 5,
        max: Number.MAX_SAFE_INTEGER,
      });
      const big = await rail.publish({ channel: 'big', type: 't', payload: { id: 2n ** 63n - 1n } });
      // Returned as given; read back by the store's largeIntegers (here 'error': its exact digits in the error).
      expect(big.payload).toEqual({ id: 2n ** 63n - 1n });
      const error = await thrown(() => rail.replay('big', { after: small.id }));
      expect(error.context).toMatchObject({ id: big.id, path: 'payload.id', value: '9223372036854775807' });

      for (const beyond of [2n ** 64n, -(2n ** 63n) - 1n]) {
        const refused = await thrown(() => rail.publish({ channel: 'big', type: 't', payload: { id: beyond } }));
        expect(refused.code).toBe('serialization_error');
        expect(refused.context.path).toBe('payload.id');
      }
      expect(await rail.latestCursor('big')).toBe(big.id);
    });

    it('dedupes a retry of a published bigint', async () => {
      const rail = ctx().rail();
      const input = { channel: 'big-retry', type: 't', payload: { id: 2n ** 64n - 1n }, eventId: 'evt-big' };
      const first = await rail.publish(input);
      const retry = await rail.publish(input);
      expect(retry.id).toBe(first.id);
      expect(retry.created_at).toBe(first.created_at);
      await expect(rail.publish({ ...input, payload: { id: 2n ** 64n - 2n } })).rejects.toMatchObject({
        code: 'duplicate_event_conflict',
      });
      expect((await rail.replay('big-retry', { after: first.id })).events).toEqual([]);
    });
  });
}
