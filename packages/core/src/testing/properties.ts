import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCursors } from '../cursor.js';
import type { StoredEvent } from '../types.js';
import type { ConformanceContext } from './context.js';
import { ids } from './context.js';

const CHANNELS = ['p:a', 'p:b', 'p:c'] as const;

type Step =
  | { kind: 'publish'; channel: number; count: number }
  | { kind: 'page'; channel: number; from: number; limit: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('publish' as const), channel: fc.nat(2), count: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    kind: fc.constant('page' as const),
    channel: fc.nat(2),
    from: fc.nat(),
    limit: fc.integer({ min: 1, max: 8 }),
  }),
);

export function propertyTests(ctx: () => ConformanceContext, numRuns: number): void {
  describe('properties (fast-check)', () => {
    it('any sequence of publishes and paged replays sees every event once, in order', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
          // One prefix per run keeps runs apart on a shared store.
          const rail = ctx().rail({ streamPrefix: `${ctx().prefix}-r${run++}`, maxStreamLength: null });
          const model: StoredEvent[][] = CHANNELS.map(() => []);
          for (const s of steps) {
            const channel = CHANNELS[s.channel] as string;
            const published = model[s.channel] as StoredEvent[];
            if (s.kind === 'publish') {
              // Concurrent within the step: the store, not the caller, orders them.
              const batch = await Promise.all(
                Array.from({ length: s.count }, (_, n) => rail.publish({ channel, type: 'p', payload: { n } })),
              );
              published.push(...batch.sort((a, b) => compareCursors(a.id, b.id)));
            } else {
              // Page from a random known position (or 0-0) to the end.
              const start = published.length === 0 ? 0 : s.from % (published.length + 1);
              let after = start === 0 ? '0-0' : (published[start - 1] as StoredEvent).id;
              const seen: StoredEvent[] = [];
              for (;;) {
                const page = await rail.replay(channel, { after, limit: s.limit });
                seen.push(...page.events);
                if (!page.hasMore) break;
                after = page.next as string;
              }
              expect(ids(seen)).toEqual(ids(published.slice(start)));
              expect(seen).toEqual(published.slice(start));
            }
          }
        }),
        { numRuns },
      );
    });

    it('a reader paging while publishers run concurrently gets every event once, in order', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 9 }),
          async (total, publishers, pageSize) => {
            const rail = ctx().rail({ streamPrefix: `${ctx().prefix}-c${run++}`, maxStreamLength: null });
            let next = 0;
            const publish = async (): Promise<void> => {
              while (next < total) {
                const n = next++;
                await rail.publish({ channel: 'race', type: 'p', payload: { n } });
              }
            };
            const read = async (): Promise<StoredEvent[]> => {
              const seen: StoredEvent[] = [];
              let after = '0-0';
              while (seen.length < total) {
                const events = await rail.read('race', { after, limit: pageSize, blockMs: 1000 });
                seen.push(...events);
                if (events.length > 0) after = (events[events.length - 1] as StoredEvent).id;
              }
              return seen;
            };
            const [seen] = await Promise.all([read(), ...Array.from({ length: publishers }, publish)]);
            const stored = (await rail.replay('race', { limit: 1000 })).events;
            expect(stored).toHaveLength(total);
            expect(seen).toEqual(stored);
          },
        ),
        { numRuns },
      );
    });
  });
}
