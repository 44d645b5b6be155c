import { describe, expect, it } from 'vitest';
import type { Consumer } from '../consumer/consumer.js';
import type { ConsumeOptions, HandlerContext } from '../consumer/options.js';
import type { ReplayRailError } from '../errors.js';
import type { ReplayRail } from '../rail.js';
import type { StoredEvent } from '../types.js';
import type { ConformanceContext } from './context.js';
import { ids } from './context.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds, failing with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Fast settings for tests: short reads, quick backoff, claims after 150 ms. */
export const FAST: Pick<ConsumeOptions, 'blockMs' | 'claimIdleMs' | 'backoff'> = {
  blockMs: 50,
  claimIdleMs: 150,
  backoff: { initialMs: 5, maxMs: 20, jitter: 0 },
};

/** The durable-consumer section of the conformance suite (docs/architecture.md, "Consumers"): `rail.consume` on the store. */
export function consumerTests(ctx: () => ConformanceContext): void {
  describe('durable consumers on the store', () => {
    const consumers: Consumer[] = [];
    const make = (rail: ReplayRail, options: ConsumeOptions): Consumer => {
      const consumer = rail.consume({ ...FAST, ...options });
      consumers.push(consumer);
      return consumer;
    };
    const stopAll = async () => {
      await Promise.all(consumers.splice(0).map((consumer) => consumer.stop({ graceMs: 1_000 })));
    };

    it('handles every event once, at most `concurrency` at a time, acknowledged after the handler', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      let running = 0;
      let most = 0;
      const seen: string[] = [];
      const consumer = make(rail, {
        channel: 'work',
        group: 'g',
        from: 'earliest',
        concurrency: 3,
        handler: async (event) => {
          running++;
          most = Math.max(most, running);
          await sleep(2);
          seen.push(event.id);
          running--;
        },
      });
      const before = await publishMany(rail, 'work', 10);
      await consumer.start();
      await consumer.start(); // idempotent
      const after = await publishMany(rail, 'work', 10);
      try {
        await until(() => seen.length === 20, 'every event');
        await until(async () => (await rail.group('work', 'g').info())?.pending === 0, 'the acks');
        expect([...seen].sort()).toEqual(ids([...before, ...after]).sort());
        expect(new Set(seen).size).toBe(20);
        expect(most).toBeLessThanOrEqual(3);
        expect(most).toBeGreaterThan(1);
      } finally {
        await stopAll();
      }
      await consumer.stop(); // idempotent
      expect(consumer.running).toBe(false);
    });

    it('fetches up to `prefetch` entries ahead, pending on it, while `concurrency` handlers run', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      let gate: () => void = () => {};
      const blocked = new Promise<void>((resolve) => {
        gate = resolve;
      });
      const seen: [string, string][] = [];
      let running = 0;
      let most = 0;
      const handler = async (event: StoredEvent, context: HandlerContext) => {
        running++;
        most = Math.max(most, running);
        seen.push([context.consumer, event.id]);
        await blocked;
        running--;
      };
      const events = await publishMany(rail, 'ahead', 8);
      const greedy = make(rail, {
        channel: 'ahead',
        group: 'g',
        consumer: 'greedy',
        from: 'earliest',
        concurrency: 2,
        prefetch: 3,
        handler,
      });
      await greedy.start();
      try {
        await until(() => greedy.inFlight === 5 && seen.length === 2, 'two running, three fetched ahead');
        const info = await rail.group('ahead', 'g').info();
        expect(info?.consumers.find((c) => c.name === 'greedy')?.pending).toBe(5);
        // What it holds is not another consumer's to take; the rest is.
        const other = make(rail, { channel: 'ahead', group: 'g', consumer: 'other', prefetch: 0, handler });
        await other.start();
        await until(() => seen.length === 3, 'the other consumer running one');
        await sleep(100);
        expect(seen.filter(([name]) => name === 'other')).toHaveLength(1);
        expect(other.inFlight).toBe(1);
        gate();
        await until(() => seen.length === 8, 'every event');
        await until(async () => (await rail.group('ahead', 'g').info())?.pending === 0, 'the acks');
        expect(seen.map(([, id]) => id).sort()).toEqual(ids(events).sort());
        expect(most).toBeLessThanOrEqual(3); // 2 on greedy, 1 on other
      } finally {
        await stopAll();
      }
    });

    it('starts a new group at the latest event by default, and a known group where it was', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      await publishMany(rail, 'start', 3);
      const seen: StoredEvent[] = [];
      const first = make(rail, { channel: 'start', group: 'g', handler: (event) => void seen.push(event) });
      await first.start();
      const fresh = await publishMany(rail, 'start', 2);
      await until(() => seen.length === 2, 'the new events');
      await first.stop();
      const missed = await publishMany(rail, 'start', 2);
      const second = make(rail, {
        channel: 'start',
        group: 'g',
        from: 'earliest',
        handler: (event) => void seen.push(event),
      });
      await second.start();
      try {
        await until(() => seen.length === 4, 'what was published while no consumer ran');
        expect(ids(seen)).toEqual(ids([...fresh, ...missed]));
      } finally {
        await stopAll();
      }
    });

    it('retries a throwing handler with backoff, then acknowledges; reports each failure', async () => {
      const { rail: makeRail } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const attempts: number[] = [];
      const errors: ReplayRailError[] = [];
      const consumer = make(rail, {
        channel: 'flaky',
        group: 'g',
        handler: (_event, context) => {
          attempts.push(context.attempt);
          if (context.attempt < 3) throw new Error(`not yet (${context.attempt})`);
        },
        onError: (error) => errors.push(error),
      });
      await consumer.start();
      await rail.publish({ channel: 'flaky', type: 'job', payload: {} });
      try {
        await until(
          async () => attempts.length === 3 && (await rail.group('flaky', 'g').info())?.pending === 0,
          'success',
        );
        expect(attempts).toEqual([1, 2, 3]);
        expect(errors.map((error) => [error.code, (error.cause as Error).message])).toEqual([
          ['internal_error', 'not yet (1)'],
          ['internal_error', 'not yet (2)'],
        ]);
        expect(await rail.group('flaky', 'g').deadLetters()).toEqual([]);
      } finally {
        await stopAll();
      }
    });

    it('moves an event that keeps failing to the dead letters after maxDeliveries; redrives and discards', async () => {
      const { rail: makeRail } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const calls: HandlerContext[] = [];
      let heal = false;
      const consumer = make(rail, {
        channel: 'poison',
        group: 'g',
        maxDeliveries: 3,
        handler: (_event, context) => {
          calls.push(context);
          if (!heal) throw new TypeError('cannot print this ticket');
        },
      });
      await consumer.start();
      const poison = await rail.publish({ channel: 'poison', type: 'job', payload: { n: 1 } });
      try {
        await until(async () => (await rail.group('poison', 'g').deadLetters()).length === 1, 'the dead letter');
        const [letter] = await rail.group('poison', 'g').deadLetters();
        expect(letter).toMatchObject({
          origin: poison.id,
          event: { id: poison.id, payload: { n: 1 } },
          errorName: 'TypeError',
          errorMessage: 'cannot print this ticket',
          attempts: 3,
          consumer: consumer.name,
        });
        expect((letter?.lastFailedAt ?? 0) >= (letter?.firstFailedAt ?? 1)).toBe(true);
        expect(calls.map((call) => call.attempt)).toEqual([1, 2, 3]);
        expect((await rail.group('poison', 'g').info())?.pending).toBe(0);
        // Fixed: put back, it runs once more, as the event it was.
        heal = true;
        expect(await rail.group('poison', 'g').redrive('all')).toBe(1);
        await until(() => calls.length === 4, 'the redriven run');
        expect(calls[3]).toMatchObject({ attempt: 1, redriven: true });
        await until(async () => (await rail.group('poison', 'g').info())?.pending === 0, 'its ack');
        expect(await rail.group('poison', 'g').deadLetters()).toEqual([]);
        // Discarding.
        heal = false;
        await rail.publish({ channel: 'poison', type: 'job', payload: { n: 2 } });
        await until(async () => (await rail.group('poison', 'g').deadLetters()).length === 1, 'a second dead letter');
        const [second] = await rail.group('poison', 'g').deadLetters();
        expect(await rail.group('poison', 'g').discard([second?.id as string])).toBe(1);
        expect(await rail.group('poison', 'g').deadLetters()).toEqual([]);
      } finally {
        await stopAll();
      }
    });

    it('sends an entry that cannot be decoded to the dead letters without calling the handler', async () => {
      const context = ctx();
      const rail = context.rail({ maxStreamLength: null });
      const handled: string[] = [];
      const consumer = make(rail, { channel: 'raw', group: 'g', handler: (event) => void handled.push(event.id) });
      await consumer.start();
      const bad = await context.harness.appendRaw(context.stream('raw'), {
        event_id: 'evt-nan',
        channel: 'raw',
        type: 'job',
        payload: '{"n": NaN}',
        actor: 'null',
        metadata: '{}',
        created_at: '2026-01-01T00:00:00Z',
      });
      const good = await rail.publish({ channel: 'raw', type: 'job', payload: {} });
      try {
        await until(
          async () => handled.length === 1 && (await rail.group('raw', 'g').deadLetters()).length === 1,
          'both',
        );
        expect(handled).toEqual([good.id]);
        expect((await rail.group('raw', 'g').deadLetters())[0]).toMatchObject({
          origin: bad,
          event: undefined,
          errorName: 'SerializationError',
        });
      } finally {
        await stopAll();
      }
    });

    it('shares a channel among the consumers of a group: each event handled by one of them, once', async () => {
      const { rail: makeRail, publishMany } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const byConsumer = new Map<string, string[]>();
      const handler = async (event: StoredEvent, context: HandlerContext) => {
        await sleep(1);
        byConsumer.set(context.consumer, [...(byConsumer.get(context.consumer) ?? []), event.id]);
      };
      // No prefetch: the first to read would otherwise hold all 40 at once.
      const options = { channel: 'shared', group: 'g', concurrency: 2, prefetch: 0, handler };
      const a = make(rail, { ...options, consumer: 'a' });
      const b = make(rail, { ...options, consumer: 'b' });
      await Promise.all([a.start(), b.start()]);
      const events = await publishMany(rail, 'shared', 40);
      try {
        await until(() => [...byConsumer.values()].flat().length >= 40, 'every event');
        const all = [...byConsumer.values()].flat();
        expect(all.sort()).toEqual(ids(events).sort());
        expect(byConsumer.size).toBe(2);
      } finally {
        await stopAll();
      }
    });

    it('reclaims the entries of a consumer that died, counting the delivery', async () => {
      const context = ctx();
      const rail = context.rail({ maxStreamLength: null });
      const store = context.harness.store.groups;
      if (store === undefined) throw new Error('the store has no consumer groups (store.groups)');
      const ref = { ...context.stream('crash'), group: 'g' };
      await store.createGroup(ref, '0-0');
      const events = await context.publishMany(rail, 'crash', 3);
      // A consumer that took the entries and died before finishing them.
      expect((await store.readGroup(ref, { consumer: 'dead', limit: 3, blockMs: 0 })).entries).toHaveLength(3);
      const seen: [string, number][] = [];
      const consumer = make(rail, {
        channel: 'crash',
        group: 'g',
        consumer: 'rescuer',
        handler: (event, { attempt }) => void seen.push([event.id, attempt]),
      });
      await consumer.start();
      try {
        await until(
          async () => seen.length === 3 && (await rail.group('crash', 'g').info())?.pending === 0,
          'recovery',
        );
        expect(seen).toEqual(ids(events).map((id) => [id, 2]));
      } finally {
        await stopAll();
      }
    });

    it('takes up, at start, the entries pending on its own name (a restart under the same name)', async () => {
      const context = ctx();
      const rail = context.rail({ maxStreamLength: null });
      const store = context.harness.store.groups;
      if (store === undefined) throw new Error('the store has no consumer groups (store.groups)');
      const ref = { ...context.stream('restart'), group: 'g' };
      await store.createGroup(ref, '0-0');
      const events = await context.publishMany(rail, 'restart', 3);
      // The previous life of `worker-1` took two entries and stopped without finishing them.
      await store.readGroup(ref, { consumer: 'worker-1', limit: 2, blockMs: 0 });
      const seen: [string, number][] = [];
      const consumer = make(rail, {
        channel: 'restart',
        group: 'g',
        consumer: 'worker-1',
        claimIdleMs: 60_000, // no reclaim by idle time: it knows them as its own
        handler: (event, { attempt }) => void seen.push([event.id, attempt]),
      });
      await consumer.start();
      try {
        await until(() => seen.length === 3, 'its own entries, then the new one');
        expect(seen).toEqual(ids(events).map((id) => [id, 1]));
        await until(async () => (await rail.group('restart', 'g').info())?.pending === 0, 'the acks');
      } finally {
        await stopAll();
      }
    });

    it('never runs a slow but alive handler twice: it keeps its claim past claimIdleMs', async () => {
      const { rail: makeRail } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const runs: string[] = [];
      const slow = make(rail, {
        channel: 'slow',
        group: 'g',
        consumer: 'slow',
        handler: async (_event, { consumer }) => {
          runs.push(consumer);
          await sleep(700); // over four times claimIdleMs
        },
      });
      await slow.start();
      await rail.publish({ channel: 'slow', type: 'job', payload: {} });
      await until(() => runs.length === 1, 'the first run');
      const idle = make(rail, { channel: 'slow', group: 'g', consumer: 'idle', handler: () => void runs.push('idle') });
      await idle.start();
      try {
        await until(async () => (await rail.group('slow', 'g').info())?.pending === 0, 'the ack', 5_000);
        expect(runs).toEqual(['slow']);
      } finally {
        await stopAll();
      }
    });

    it('handles events of one ordering key one at a time, in order; other keys meanwhile', async () => {
      const { rail: makeRail } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const log: string[] = [];
      let parallel = 0;
      let mostParallel = 0;
      const consumer = make(rail, {
        channel: 'orders',
        group: 'g',
        concurrency: 8,
        orderingKey: (event) => String(event.payload.order),
        handler: async (event) => {
          parallel++;
          mostParallel = Math.max(mostParallel, parallel);
          log.push(`start ${event.payload.order}:${event.payload.step}`);
          await sleep(3);
          log.push(`end ${event.payload.order}:${event.payload.step}`);
          parallel--;
        },
      });
      await consumer.start();
      for (let step = 0; step < 4; step++) {
        for (const order of ['a', 'b', 'c'])
          await rail.publish({ channel: 'orders', type: 'step', payload: { order, step } });
      }
      try {
        await until(() => log.length === 24, 'every step');
        for (const order of ['a', 'b', 'c']) {
          const own = log.filter((line) => line.split(' ')[1]?.startsWith(`${order}:`));
          expect(own).toEqual([0, 1, 2, 3].flatMap((step) => [`start ${order}:${step}`, `end ${order}:${step}`]));
        }
        expect(mostParallel).toBeGreaterThan(1);
      } finally {
        await stopAll();
      }
    });

    it('stops: waits for running handlers within graceMs and acks them, leaves the rest pending', async () => {
      const { rail: makeRail } = ctx();
      const rail = makeRail({ maxStreamLength: null });
      const finished: number[] = [];
      const consumer = make(rail, {
        channel: 'drain',
        group: 'g',
        concurrency: 2,
        orderingKey: () => 'one-at-a-time',
        handler: async (event) => {
          await sleep(100);
          finished.push(event.payload.n as number);
        },
      });
      await consumer.start();
      for (let n = 0; n < 2; n++) await rail.publish({ channel: 'drain', type: 'job', payload: { n } });
      await until(() => consumer.inFlight === 2, 'both held');
      await consumer.stop({ graceMs: 2_000 });
      // The first ran to its end and was acknowledged; the second never started.
      expect(finished).toEqual([0]);
      const info = await rail.group('drain', 'g').info();
      expect(info?.pending).toBe(1);
      expect(consumer.inFlight).toBe(0);
      // Another consumer picks it up once it is idle long enough.
      const seen: number[] = [];
      const next = make(rail, {
        channel: 'drain',
        group: 'g',
        handler: (event) => void seen.push(event.payload.n as number),
      });
      await next.start();
      try {
        await until(() => seen.length === 1, 'the reclaim');
        expect(seen).toEqual([1]);
      } finally {
        await stopAll();
      }
    });

    it('reports entries trimmed before the group read them, and goes on', async () => {
      const context = ctx();
      const rail = context.rail({ maxStreamLength: null });
      const errors: ReplayRailError[] = [];
      const seen: string[] = [];
      let gate: () => void = () => {};
      const blocked = new Promise<void>((resolve) => {
        gate = resolve;
      });
      const consumer = make(rail, {
        channel: 'trim',
        group: 'g',
        prefetch: 0, // entries fetched ahead are the consumer's already: trimming cannot lose them
        handler: async (event) => {
          seen.push(event.id);
          if (seen.length === 1) await blocked;
        },
        onError: (error) => errors.push(error),
      });
      await consumer.start();
      await rail.publish({ channel: 'trim', type: 'job', payload: { n: 0 } });
      await until(() => seen.length === 1, 'the first event running');
      // While the only slot is busy, 5 more arrive and retention drops all but the last 2.
      const more = await context.publishMany(rail, 'trim', 5);
      await context.harness.trim(context.stream('trim'), 2);
      gate();
      try {
        await until(() => seen.length === 3, 'the retained events');
        expect(seen.slice(1)).toEqual(ids(more.slice(3)));
        const lost = errors.filter((error) => error.code === 'entries_lost');
        expect(lost).toHaveLength(1);
        expect(lost[0]?.context).toMatchObject({ channel: 'trim', group: 'g', count: 3 });
      } finally {
        await stopAll();
      }
    });

    it('removes consumers of the group that are gone and hold nothing, never one that holds entries', async () => {
      const context = ctx();
      const rail = context.rail({ maxStreamLength: null });
      const store = context.harness.store.groups;
      if (store === undefined) throw new Error('the store has no consumer groups (store.groups)');
      const ref = { ...context.stream('janitor'), group: 'g' };
      await store.createGroup(ref, '0-0');
      await context.publishMany(rail, 'janitor', 2);
      const [first] = (await store.readGroup(ref, { consumer: 'gone', limit: 1, blockMs: 0 })).entries;
      await store.ack(ref, first ? [first] : []);
      await store.readGroup(ref, { consumer: 'holder', limit: 1, blockMs: 0 });
      const consumer = make(rail, {
        channel: 'janitor',
        group: 'g',
        consumer: 'janitor',
        claimIdleMs: 60_000, // never reclaims 'holder' here
        removeIdleConsumersAfterMs: 50,
        handler: () => {},
      });
      await consumer.start();
      try {
        await until(async () => {
          const names = (await rail.group('janitor', 'g').info())?.consumers.map((c) => c.name) ?? [];
          return !names.includes('gone');
        }, 'the removal');
        const names = (await rail.group('janitor', 'g').info())?.consumers.map((c) => c.name);
        expect(names).toContain('holder');
      } finally {
        await stopAll();
      }
    });

    it('reads raw entries of a layout of their own, and a handler sends one that can never succeed to the dead letters at once', async () => {
      const context = ctx();
      const rail = context.rail({ maxStreamLength: null });
      const stream = context.stream('commands');
      // Another system's layout (what a clamator client writes): not a ReplayRail event.
      const good = await context.harness.appendRaw(stream, { type: 'rpc', envelope: '{"n":1}', 'reply-to': 'r' });
      const bad = await context.harness.appendRaw(stream, { type: 'rpc', envelope: 'not json' });
      const seen: { id: string; fields: Record<string, string>; attempt: number }[] = [];
      const consumer = rail.consume({
        ...FAST,
        raw: true,
        channel: 'commands',
        group: 'g',
        from: 'earliest',
        maxDeliveries: 5,
        orderingKey: (entry) => entry.fields.type,
        handler: (entry, handling) => {
          seen.push({ id: entry.id, fields: { ...entry.fields }, attempt: handling.attempt });
          if (entry.fields.envelope === 'not json') handling.deadLetter(new SyntaxError('envelope is not JSON'));
        },
      });
      consumers.push(consumer);
      await consumer.start();
      try {
        await until(async () => (await rail.group('commands', 'g').info())?.deadLetters === 1, 'the dead letter');
        await until(async () => (await rail.group('commands', 'g').info())?.pending === 0, 'the acks');
        expect(seen).toEqual([
          { id: good, fields: { type: 'rpc', envelope: '{"n":1}', 'reply-to': 'r' }, attempt: 1 },
          { id: bad, fields: { type: 'rpc', envelope: 'not json' }, attempt: 1 },
        ]);
        const [letter] = await rail.group('commands', 'g').deadLetters();
        expect(letter).toMatchObject({ origin: bad, attempts: 1, errorName: 'SyntaxError' });
        expect(letter?.errorMessage).toBe('envelope is not JSON');
        expect(letter?.fields).toMatchObject({ type: 'rpc', envelope: 'not json' });
      } finally {
        await stopAll();
      }
    });
  });
}
