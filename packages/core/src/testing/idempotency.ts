import { describe, expect, it } from 'vitest';
import { DuplicateEventConflictError, DuplicateEventError } from '../errors.js';
import type { ConformanceContext } from './context.js';
import { ids, nextMillisecond } from './context.js';

export function idempotencyTests(ctx: () => ConformanceContext): void {
  describe('idempotent publish by event_id', () => {
    const order = { channel: 'orders', type: 'order.created', payload: { order_id: 'ord_1' }, eventId: 'evt-1' };

    it('returns the first stored event for a retry with the same content and writes nothing', async () => {
      const { rail: makeRail, all } = ctx();
      const rail = makeRail();
      const first = await rail.publish(order);
      await nextMillisecond(first);
      // No createdAt given: the retry is compared on content, so time passing is no conflict.
      const retry = await rail.publish(order);
      expect(retry).toEqual(first);
      expect(ids(await all(rail, 'orders'))).toEqual([first.id]);
    });

    it('compares created_at too when the caller fixed it', async () => {
      const rail = ctx().rail();
      const first = await rail.publish({ ...order, createdAt: '2026-01-01T00:00:00Z' });
      expect(await rail.publish({ ...order, createdAt: new Date('2026-01-01T00:00:00Z') })).toEqual(first);
      await expect(rail.publish({ ...order, createdAt: '2026-01-01T00:00:01Z' })).rejects.toBeInstanceOf(
        DuplicateEventConflictError,
      );
    });

    it('rejects the same event_id with different content and writes nothing', async () => {
      const { rail: makeRail, all } = ctx();
      const rail = makeRail();
      const first = await rail.publish(order);
      const attempts = [
        { ...order, payload: { order_id: 'ord_2' } },
        { ...order, type: 'order.cancelled' },
        { ...order, actor: { id: 'someone' } },
        { ...order, metadata: { retry: true } },
      ];
      if (ctx().harness.eventIdScope !== 'channel') attempts.push({ ...order, channel: 'other-orders' });
      for (const attempt of attempts) {
        const error = await rail.publish(attempt).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DuplicateEventConflictError);
        expect((error as DuplicateEventConflictError).context).toMatchObject({
          event_id: 'evt-1',
          existing_id: first.id,
        });
        expect((error as DuplicateEventConflictError).status.http).toBe(409);
      }
      expect(ids(await all(rail, 'orders'))).toEqual([first.id]);
      expect((await rail.replay('other-orders')).events).toEqual([]);
    });

    it('scopes event_ids as the harness declares: store-wide, or per channel', async () => {
      const { rail: makeRail, harness } = ctx();
      const rail = makeRail();
      await rail.publish(order);
      const elsewhere = rail.publish({ ...order, channel: 'other-orders' });
      if (harness.eventIdScope === 'channel') {
        expect((await elsewhere).channel).toBe('other-orders');
        expect((await rail.replay('other-orders')).events).toHaveLength(1);
      } else {
        await expect(elsewhere).rejects.toBeInstanceOf(DuplicateEventConflictError);
      }
    });

    it('raises DuplicateEventError for a retry when duplicatePolicy is raise', async () => {
      const rail = ctx().rail({ duplicatePolicy: 'raise' });
      const first = await rail.publish(order);
      const error = await rail.publish(order).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DuplicateEventError);
      expect((error as DuplicateEventError).context).toMatchObject({ event_id: 'evt-1', existing_id: first.id });
      expect((error as DuplicateEventError).existing).toEqual(first);
    });

    it('takes duplicatePolicy per publish, over the configured one', async () => {
      const rail = ctx().rail();
      const first = await rail.publish({ ...order, duplicatePolicy: 'raise' });
      const error = await rail.publish({ ...order, duplicatePolicy: 'raise' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DuplicateEventError);
      expect((error as DuplicateEventError).existing).toEqual(first);
      expect(await rail.publish(order)).toEqual(first);
      const bad = { ...order, duplicatePolicy: 'ignore' as 'raise' };
      await expect(rail.publish(bad)).rejects.toMatchObject({ code: 'invalid_request' });
    });

    it('writes once when the same event_id is published concurrently', async () => {
      const { rail: makeRail, all } = ctx();
      const rail = makeRail();
      const results = await Promise.all(Array.from({ length: 25 }, () => rail.publish(order)));
      expect(new Set(ids(results)).size).toBe(1);
      expect(await all(rail, 'orders')).toHaveLength(1);
    });

    it('makes publishEvent of a prepared (outbox) event idempotent', async () => {
      const { rail: makeRail, all } = ctx();
      const rail = makeRail();
      const prepared = rail.prepareEvent({ channel: 'outbox', type: 'order.paid', payload: { order_id: 'ord_9' } });
      // The outbox stores it as JSON and publishes it, maybe more than once.
      const fromOutbox = JSON.parse(JSON.stringify(prepared));
      const first = await rail.publishEvent(fromOutbox);
      const again = await rail.publishEvent(fromOutbox);
      expect(again).toEqual(first);
      expect(first).toEqual({ ...prepared, id: first.id });
      expect(ids(await all(rail, 'outbox'))).toEqual([first.id]);
    });

    it('appends every publish without an event_id, even with equal content', async () => {
      const { rail: makeRail, all } = ctx();
      const rail = makeRail();
      const plain = { channel: 'plain', type: 't', payload: { same: true } };
      const [a, b] = [await rail.publish(plain), await rail.publish(plain)];
      expect(a.event_id).not.toBe(b.event_id);
      expect(await all(rail, 'plain')).toHaveLength(2);
    });
  });
}
