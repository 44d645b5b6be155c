import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChannelPolicy } from '../channel-policy.js';
import { compareCursors } from '../cursor.js';
import type { ReplayRail } from '../rail.js';
import type { StoredEvent } from '../types.js';
import type { ConformanceContext } from './context.js';
import { ids, nextMillisecond } from './context.js';

const CHANNEL = 'shop:1:orders';
const KEYS = ['a', 'b', 'c', 'd', 'e'] as const;

/** The keyed policy the section runs with: `order_id` is the key, `order.deleted` a tombstone. */
export function keyedPolicy(extra: Partial<ChannelPolicy> = {}): ChannelPolicy {
  return { match: 'shop:*:orders', state: { key: 'order_id', tombstones: ['order.deleted'] }, ...extra };
}

const publishKey = (rail: ReplayRail, key: string, n: number, type = 'order.status') =>
  rail.publish({ channel: CHANNEL, type, payload: { order_id: key, n } });

/** A reader's view: the latest event of each key, as events (and tombstones) are applied in order. */
export class KeyedView {
  readonly latest = new Map<string, StoredEvent>();
  /** Per key, the ID last applied: each key's events must come in ascending order. */
  readonly #applied = new Map<string, string>();

  apply(event: StoredEvent): void {
    const key = event.payload.order_id as string;
    const before = this.#applied.get(key);
    if (before !== undefined && compareCursors(event.id, before) <= 0) {
      throw new Error(`key ${key}: ${event.id} applied after ${before}`);
    }
    this.#applied.set(key, event.id);
    if (event.type === 'order.deleted') this.latest.delete(key);
    else this.latest.set(key, event);
  }

  /** Key → the ID of its latest event, for comparisons. */
  state(): Record<string, string> {
    return Object.fromEntries([...this.latest].map(([key, event]) => [key, event.id]).sort());
  }
}

const sorted = (events: readonly StoredEvent[]) => [...events].sort((a, b) => compareCursors(a.id, b.id));

type Step =
  | { kind: 'publish'; keys: number[]; tombstone: boolean }
  | { kind: 'trim'; keep: number }
  | { kind: 'snapshot'; pageSize: number; pagesBeforeMore: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('publish' as const),
      keys: fc.array(fc.nat(KEYS.length - 1), { minLength: 1, maxLength: 4 }),
      tombstone: fc.boolean(),
    }),
  },
  // At least one entry kept, as retention does (the entry just appended is never
  // trimmed): a stream emptied by hand makes its last ID a cursor that, once newer
  // entries come, cannot be told from an older one (docs/state.md, "Limits").
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim' as const), keep: fc.integer({ min: 1, max: 6 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('snapshot' as const),
      pageSize: fc.integer({ min: 1, max: 3 }),
      pagesBeforeMore: fc.integer({ min: 0, max: 3 }),
    }),
  },
);

/** Options of the state section. */
export interface StateTestOptions {
  /** Runs of the hand-off property. */
  readonly propertyRuns: number;
  /** A fixed fast-check seed (a store where runs are slow: the same interleavings each time). */
  readonly seed?: number;
}

/**
 * The hand-off property (docs/state.md): any interleaving of publishes, tombstones,
 * trims by length, and readers that start from a snapshot taken at any moment and
 * read in pages while publishing goes on, then follow the events after its cursor:
 * each reader's per-key state equals the state of one that saw the whole history,
 * no key's events are applied out of order, and after the hand-off every event
 * comes once, in order, with no gap.
 */
export async function checkHandOff(
  rail: () => ReplayRail,
  trim: (keep: number) => Promise<void>,
  options: StateTestOptions,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
      const r = rail();
      const whole = new KeyedView();
      const published: StoredEvent[] = [];
      let n = 0;
      const publish = async (keys: number[], tombstone: boolean) => {
        // Concurrent within the step: the store, not the caller, orders them.
        const batch = await Promise.all(
          keys.map((key, index) =>
            publishKey(r, KEYS[key] as string, n++, tombstone && index === 0 ? 'order.deleted' : 'order.status'),
          ),
        );
        for (const event of sorted(batch)) {
          published.push(event);
          whole.apply(event);
        }
      };
      for (const [index, s] of steps.entries()) {
        if (s.kind === 'publish') await publish(s.keys, s.tombstone);
        else if (s.kind === 'trim') await trim(s.keep);
        else {
          const reader = new KeyedView();
          let page = await r.replay(CHANNEL, { from: 'snapshot', limit: s.pageSize });
          const cursor = page.snapshot?.cursor as string;
          let pages = 0;
          for (;;) {
            for (const event of page.events) {
              expect(event.snapshot).toBe(true);
              expect(compareCursors(event.id, cursor)).toBeLessThanOrEqual(0);
              reader.apply(event);
            }
            if (page.snapshot?.nextKey === null || page.snapshot === undefined) break;
            // Publishing goes on between the pages.
            if (pages++ < s.pagesBeforeMore)
              await publish([index % KEYS.length, (index + 2) % KEYS.length], pages % 2 === 0);
            page = await r.replay(CHANNEL, {
              from: 'snapshot',
              snapshotCursor: page.snapshot.cursor,
              afterKey: page.snapshot.nextKey,
              limit: s.pageSize,
            });
          }
          // The hand-off: every event after the snapshot's cursor, once, in order.
          const after: StoredEvent[] = [];
          for await (const event of r.replayAll(CHANNEL, { after: cursor, pageSize: 3 })) after.push(event);
          expect(ids(after)).toEqual(ids(published.filter((event) => compareCursors(event.id, cursor) > 0)));
          for (const event of after) reader.apply(event);
          expect(reader.state()).toEqual(whole.state());
        }
      }
      // The store's own state, read whole at the end, is the whole history's.
      const final = new KeyedView();
      for await (const event of await r.snapshot(CHANNEL, { pageSize: 2 })) final.apply(event);
      expect(final.state()).toEqual(whole.state());
    }),
    { numRuns: options.propertyRuns, ...(options.seed !== undefined && { seed: options.seed }) },
  );
}

/** The keyed-channel section of the conformance suite (docs/state.md): `store.state`, snapshots, age retention. */
export function stateTests(ctx: () => ConformanceContext, options: StateTestOptions): void {
  describe('channel state (store.state)', () => {
    it('keeps the latest event of each key, deletes a key on a tombstone, and trimming leaves it alone', async () => {
      const context = ctx();
      const rail = context.rail({ approximateTrimming: false, channels: [keyedPolicy({ maxStreamLength: 2 })] });
      const a1 = await publishKey(rail, 'a', 1);
      const b1 = await publishKey(rail, 'b', 2);
      const a2 = await publishKey(rail, 'a', 3);
      await publishKey(rail, 'c', 4);
      await publishKey(rail, 'c', 5, 'order.deleted');
      await rail.publish({ channel: CHANNEL, type: 'order.note', payload: { note: 'no key: stored, no state' } });
      expect(ids(await context.all(rail, CHANNEL))).toHaveLength(2);
      expect(await rail.stateSize(CHANNEL)).toBe(2);
      expect(await rail.stateOf(CHANNEL, 'a')).toEqual(a2);
      expect(await rail.stateOf(CHANNEL, 'b')).toEqual(b1);
      expect(await rail.stateOf(CHANNEL, 'c')).toBeNull();
      const snapshot = await rail.snapshot(CHANNEL, { pageSize: 1 });
      const events: StoredEvent[] = [];
      for await (const event of snapshot) events.push(event);
      expect(events).toEqual([
        { ...a2, snapshot: true },
        { ...b1, snapshot: true },
      ]);
      expect(compareCursors(snapshot.cursor, a1.id)).toBeGreaterThan(0);
    });

    it('refuses what cannot be state: a key that is not a string, and reads of a channel without a policy', async () => {
      const context = ctx();
      const rail = context.rail({ channels: [keyedPolicy()] });
      await expect(
        rail.publish({ channel: CHANNEL, type: 'order.status', payload: { order_id: 7 } }),
      ).rejects.toMatchObject({
        code: 'invalid_request',
      });
      expect(await context.all(rail, CHANNEL)).toEqual([]);
      await expect(rail.snapshot('shop:1:other')).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(rail.subscribe('shop:1:other', { from: 'snapshot' })).rejects.toMatchObject({
        code: 'invalid_request',
      });
    });

    it('a retry of an idempotent publish changes nothing in the state', async () => {
      const rail = ctx().rail({ channels: [keyedPolicy()] });
      const first = await rail.publish({
        channel: CHANNEL,
        type: 'order.status',
        payload: { order_id: 'a', n: 1 },
        eventId: 'e-1',
      });
      const second = await publishKey(rail, 'a', 2);
      const retry = await rail.publish({
        channel: CHANNEL,
        type: 'order.status',
        payload: { order_id: 'a', n: 1 },
        eventId: 'e-1',
      });
      expect(retry.id).toBe(first.id);
      expect(await rail.stateOf(CHANNEL, 'a')).toEqual(second);
    });

    it('a subscription from the snapshot hands off to the events after its cursor: none lost, none twice', async () => {
      const rail = ctx().rail({ defaultReplayLimit: 2, channels: [keyedPolicy()] });
      const whole = new KeyedView();
      for (const [index, key] of ['a', 'b', 'c', 'a', 'd', 'e'].entries())
        whole.apply(await publishKey(rail, key, index));
      const subscription = await rail.subscribe(CHANNEL, { from: 'snapshot' });
      expect(subscription.snapshot).toBe(true);
      expect(subscription.start).not.toBeNull();
      // Published while the snapshot is read page by page.
      const more = ['b', 'e', 'f', 'a'].map((key, index) =>
        publishKey(rail, key, 10 + index, key === 'e' ? 'order.deleted' : 'order.status'),
      );
      const published = sorted(await Promise.all(more));
      for (const event of published) whole.apply(event);
      const reader = new KeyedView();
      const after: StoredEvent[] = [];
      for await (const event of subscription) {
        reader.apply(event);
        if (event.snapshot !== true) after.push(event);
        if (after.at(-1)?.id === published.at(-1)?.id) break;
      }
      expect(reader.state()).toEqual(whole.state());
      expect(ids(after)).toEqual(
        ids(published.filter((event) => compareCursors(event.id, subscription.start as string) > 0)),
      );
    });

    it('trims by age (maxStreamAge) and still says exactly what expired', async () => {
      const context = ctx();
      const rail = context.rail({ approximateTrimming: false, channels: [keyedPolicy({ maxStreamAge: 50 })] });
      const old = await publishKey(rail, 'a', 1);
      await nextMillisecond(old);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const fresh = await publishKey(rail, 'b', 2);
      expect(ids(await context.all(rail, CHANNEL))).toEqual([fresh.id]);
      await expect(rail.replay(CHANNEL, { after: '0-0' })).resolves.toMatchObject({ events: [fresh] });
      // A cursor before the trimmed entry lost it: told, not skipped.
      await expect(rail.replay(CHANNEL, { after: '1-0' })).rejects.toMatchObject({ code: 'replay_window_expired' });
      // The state keeps the key whose history is gone.
      expect(await rail.stateOf(CHANNEL, 'a')).toEqual(old);
    });

    it('rebuilds the state from history written around the append step', async () => {
      const context = ctx();
      const rail = context.rail({ channels: [keyedPolicy()] });
      await publishKey(rail, 'a', 1);
      const fields = (key: string, n: number, type = 'order.status') => ({
        event_id: `py-${n}`,
        channel: CHANNEL,
        type,
        payload: JSON.stringify({ order_id: key, n }),
        actor: 'null',
        metadata: '{}',
        created_at: '2026-06-29T12:00:00Z',
      });
      // What the Python library writes: the stream only.
      await context.harness.appendRaw(context.stream(CHANNEL), fields('a', 2));
      const b = await context.harness.appendRaw(context.stream(CHANNEL), fields('b', 3));
      await context.harness.appendRaw(context.stream(CHANNEL), fields('c', 4));
      await context.harness.appendRaw(context.stream(CHANNEL), fields('c', 5, 'order.deleted'));
      expect(await rail.stateSize(CHANNEL)).toBe(1);
      const report = await rail.rebuildState(CHANNEL, { pageSize: 2 });
      expect(report).toEqual({ events: 5, changed: 2, keys: 2 });
      expect((await rail.stateOf(CHANNEL, 'a'))?.payload).toEqual({ order_id: 'a', n: 2 });
      expect((await rail.stateOf(CHANNEL, 'b'))?.id).toBe(b);
      expect(await rail.stateOf(CHANNEL, 'c')).toBeNull();
      // Again: nothing left to change.
      expect(await rail.rebuildState(CHANNEL)).toEqual({ events: 5, changed: 0, keys: 2 });
    });

    it('property: a reader from a snapshot at any moment ends with the whole history’s state', async () => {
      const context = ctx();
      let run = 0;
      let prefix = '';
      await checkHandOff(
        () => {
          prefix = `${context.prefix}-s${run++}`;
          return context.rail({ streamPrefix: prefix, maxStreamLength: null, channels: [keyedPolicy()] });
        },
        (keep) => context.harness.trim({ prefix, channel: CHANNEL }, keep),
        options,
      );
    });
  });
}
