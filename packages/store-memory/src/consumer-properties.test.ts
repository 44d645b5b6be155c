import { ReplayRail, type StoredEvent } from '@replayrail/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// One scenario: events, each with an ordering key (or none) and how many times its
// handler throws before it succeeds; the consumer's knobs.
const scenario = fc.record({
  concurrency: fc.integer({ min: 1, max: 6 }),
  prefetch: fc.integer({ min: 0, max: 8 }),
  maxDeliveries: fc.integer({ min: 1, max: 3 }),
  keyed: fc.boolean(),
  events: fc.array(
    fc.record({
      key: fc.constantFrom('a', 'b', 'c'),
      failures: fc.integer({ min: 0, max: 3 }),
      ms: fc.integer({ min: 0, max: 3 }),
    }),
    { minLength: 1, maxLength: 25 },
  ),
});

interface Call {
  n: number;
  attempt: number;
  start: number;
  end: number;
  ok: boolean;
}

describe('rail.consume properties (fast-check, memory store)', () => {
  it('every event handled once or dead after exactly maxDeliveries, within concurrency, in order per key', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ concurrency, prefetch, maxDeliveries, keyed, events }) => {
        const rail = new ReplayRail({ store: new MemoryEventStore(), config: { maxStreamLength: null } });
        const calls: Call[] = [];
        let clock = 0; // a logical clock: the order of starts and ends
        let running = 0;
        let most = 0;
        const consumer = rail.consume({
          channel: 'jobs',
          group: 'g',
          from: 'earliest',
          concurrency,
          prefetch,
          maxDeliveries,
          blockMs: 20,
          backoff: { initialMs: 1, maxMs: 4, jitter: 0 },
          ...(keyed && { orderingKey: (event: StoredEvent) => event.payload.key as string }),
          onError: () => {},
          handler: async (event, { attempt }) => {
            const n = event.payload.n as number;
            const spec = events[n] as (typeof events)[number];
            const call: Call = { n, attempt, start: clock++, end: -1, ok: attempt > spec.failures };
            calls.push(call);
            running++;
            most = Math.max(most, running);
            await sleep(spec.ms);
            running--;
            call.end = clock++;
            if (!call.ok) throw new Error(`event ${n} fails on attempt ${attempt}`);
          },
        });
        for (const [n, spec] of events.entries()) {
          await rail.publish({ channel: 'jobs', type: 'job', payload: { n, key: spec.key } });
        }
        await consumer.start();
        const dead = events.filter((spec) => spec.failures >= maxDeliveries).length;
        const settled = async () => {
          const info = await rail.group('jobs', 'g').info();
          return info?.pending === 0 && info.lag === 0 && info.deadLetters === dead;
        };
        const deadline = Date.now() + 10_000;
        while (!(await settled())) {
          if (Date.now() > deadline) throw new Error('not settled in 10 s');
          await sleep(5);
        }
        await consumer.stop();

        expect(most).toBeLessThanOrEqual(concurrency);
        for (const [n, spec] of events.entries()) {
          const mine = calls.filter((call) => call.n === n);
          const attempts = Math.min(spec.failures + 1, maxDeliveries);
          // Each attempt once, numbered 1, 2, …; a success only on the last one.
          expect(mine.map((call) => call.attempt)).toEqual(Array.from({ length: attempts }, (_, i) => i + 1));
          expect(mine.filter((call) => call.ok)).toHaveLength(spec.failures < maxDeliveries ? 1 : 0);
        }
        const letters = await rail.group('jobs', 'g').deadLetters();
        expect(letters.map((letter) => letter.event?.payload.n).sort()).toEqual(
          [...events.keys()].filter((n) => (events[n]?.failures ?? 0) >= maxDeliveries).sort(),
        );
        expect(letters.every((letter) => letter.attempts === maxDeliveries)).toBe(true);
        if (keyed) {
          // Per key: every attempt of an event ends before any attempt of a later one starts.
          for (const key of ['a', 'b', 'c']) {
            const ofKey = [...events.keys()].filter((n) => events[n]?.key === key);
            for (let i = 1; i < ofKey.length; i++) {
              const before = calls.filter((call) => call.n === ofKey[i - 1]);
              const after = calls.filter((call) => call.n === ofKey[i]);
              expect(Math.min(...after.map((call) => call.start))).toBeGreaterThan(
                Math.max(...before.map((call) => call.end)),
              );
            }
          }
        }
        await rail.close();
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
