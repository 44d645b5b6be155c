import { describe, expect, it } from 'vitest';
import { StoreError } from '../errors.js';
import type { ConformanceContext } from './context.js';
import { ids } from './context.js';

export function blockingReadTests(ctx: () => ConformanceContext): void {
  describe('blocking read', () => {
    it('returns retained events at once, up to the limit', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail();
      const events = await publishMany(rail, 'ready', 5);
      expect(ids(await rail.read('ready', { after: '0-0', blockMs: 10_000, limit: 3 }))).toEqual(
        ids(events.slice(0, 3)),
      );
      expect(ids(await rail.read('ready', { after: events[2]?.id as string, blockMs: 10_000 }))).toEqual(
        ids(events.slice(3)),
      );
    });

    it('returns nothing at once with blockMs 0', async () => {
      const rail = ctx().rail();
      await rail.publish({ channel: 'zero', type: 't', payload: {} });
      expect(await rail.read('zero', { after: '$', blockMs: 0 })).toEqual([]);
    });

    it('wakes on a publish to its channel, not on other channels', async () => {
      const rail = ctx().rail();
      const before = await rail.publish({ channel: 'wake', type: 't', payload: { n: 0 } });
      const pending = rail.read('wake', { after: '$', blockMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await rail.publish({ channel: 'wake-other', type: 't', payload: {} });
      const published = await rail.publish({ channel: 'wake', type: 't', payload: { n: 1 } });
      const events = await pending;
      expect(ids(events)).toEqual([published.id]);
      expect(events[0]?.id).not.toBe(before.id);
    });

    it('times out with no events', async () => {
      const rail = ctx().rail();
      await rail.publish({ channel: 'quiet', type: 't', payload: {} });
      expect(await rail.read('quiet', { after: '$', blockMs: 120 })).toEqual([]);
      expect(await rail.read('never-published', { after: '0-0', blockMs: 50 })).toEqual([]);
    });

    it('uses readBlockMs and readBatchSize from the config', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ readBlockMs: 60, readBatchSize: 2 });
      expect(await rail.read('configured', { after: '$' })).toEqual([]);
      await publishMany(rail, 'configured', 3);
      expect(await rail.read('configured', { after: '0-0' })).toHaveLength(2);
    });

    it('rejects with the abort reason when its signal aborts', async () => {
      const rail = ctx().rail();
      const controller = new AbortController();
      const pending = rail.read('aborted', { after: '0-0', blockMs: 10_000, signal: controller.signal });
      setTimeout(() => controller.abort(new Error('caller gave up')), 30);
      await expect(pending).rejects.toThrow('caller gave up');
      const already = AbortSignal.abort(new Error('before start'));
      await expect(rail.read('aborted', { after: '0-0', blockMs: 10_000, signal: already })).rejects.toThrow(
        'before start',
      );
    });

    it('serves many concurrent readers of one channel', async () => {
      const rail = ctx().rail();
      const readers = Array.from({ length: 20 }, () => rail.read('shared', { after: '$', blockMs: 10_000 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const event = await rail.publish({ channel: 'shared', type: 't', payload: {} });
      for (const events of await Promise.all(readers)) expect(ids(events)).toEqual([event.id]);
    });

    it('ends a pending read with a StoreError when the store closes', async () => {
      const { harness, rail: makeRail } = ctx();
      const rail = makeRail();
      const pending = rail.read('closing', { after: '0-0', blockMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 30));
      await harness.store.close();
      await expect(pending).rejects.toBeInstanceOf(StoreError);
    });
  });
}
