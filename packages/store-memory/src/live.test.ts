import { compareCursors, type EventStore, ReplayRail, type StoredEvent, type Subscription } from '@replayrail/core';
import { ReplayWindowExpiredError, SlowConsumerError } from '@replayrail/core/errors';
import { toWireJson } from '@replayrail/core/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects a subscription's events through onEvent. */
async function collect(rail: ReplayRail, channel: string, options: Parameters<ReplayRail['subscribe']>[1] = {}) {
  const events: StoredEvent[] = [];
  const frames: string[] = [];
  const subscription = await rail.subscribe(channel, {
    ...options,
    onEvent: (event, frame) => {
      events.push(event);
      frames.push(frame);
    },
  });
  return { subscription, events, frames };
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}

// Counts the store reads, to show N subscribers cost one read path.
function countingStore(store: EventStore): { store: EventStore; reads: () => number } {
  let reads = 0;
  return {
    store: new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property === 'read') {
          return (...args: Parameters<EventStore['read']>) => {
            reads++;
            return target.read(...args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
    reads: () => reads,
  };
}

describe('rail.subscribe on the memory store', () => {
  it('delivers replayed then live events, each once, in order, from every kind of start', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const old = [
      await rail.publish({ channel: 'c', type: 't', payload: { n: 0 } }),
      await rail.publish({ channel: 'c', type: 't', payload: { n: 1 } }),
    ];
    const latest = await collect(rail, 'c', { from: 'latest' });
    const earliest = await collect(rail, 'c', { from: 'earliest' });
    const after = await collect(rail, 'c', { after: old[0]?.id as string });
    expect(latest.subscription.start).toBe(old[1]?.id);
    expect(earliest.subscription.start).toBe('0-0');
    // Published the moment subscribe returned: never lost.
    const fresh = await rail.publish({ channel: 'c', type: 't', payload: { n: 2 } });
    await until(
      () => latest.events.length === 1 && earliest.events.length === 3 && after.events.length === 2,
      'events',
    );
    expect(latest.events.map((e) => e.id)).toEqual([fresh.id]);
    expect(earliest.events.map((e) => e.id)).toEqual([...old, fresh].map((e) => e.id));
    expect(after.events.map((e) => e.id)).toEqual([old[1]?.id, fresh.id]);
    expect(JSON.parse(latest.frames[0] as string)).toEqual(fresh);
    for (const s of [latest, earliest, after]) s.subscription.close();
    expect(rail.liveChannels).toBe(0);
  });

  it('shares one read path among many subscribers of a channel', async () => {
    const counted = countingStore(new MemoryEventStore());
    const rail = new ReplayRail({ store: counted.store });
    const subscribers = await Promise.all(Array.from({ length: 200 }, () => collect(rail, 'shared')));
    await tick(10);
    expect(rail.liveChannels).toBe(1);
    const before = counted.reads();
    for (let n = 0; n < 20; n++) await rail.publish({ channel: 'shared', type: 't', payload: { n } });
    await until(() => subscribers.every((s) => s.events.length === 20), 'delivery');
    // One feed: at most one read per publish (fewer when events batch), not 200 per publish.
    expect(counted.reads() - before).toBeLessThanOrEqual(21);
    for (const s of subscribers) s.subscription.close();
    expect(rail.liveChannels).toBe(0);
  });

  it('ends a subscription with expiry, before any event, when its cursor is no longer retained', async () => {
    const rail = new ReplayRail({
      store: new MemoryEventStore(),
      config: { maxStreamLength: 3, approximateTrimming: false },
    });
    const first = await rail.publish({ channel: 'c', type: 't', payload: {} });
    for (let n = 0; n < 5; n++) await rail.publish({ channel: 'c', type: 't', payload: { n } });
    const { subscription, events } = await collect(rail, 'c', { after: first.id });
    expect(await subscription.ended).toBeInstanceOf(ReplayWindowExpiredError);
    expect(events).toEqual([]);
  });

  it('ends an iterator that falls too far behind, with a cursor that loses nothing', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const subscription = await rail.subscribe('c', { from: 'latest', maxBuffered: 5 });
    const published: StoredEvent[] = [];
    for (let n = 0; n < 20; n++) published.push(await rail.publish({ channel: 'c', type: 't', payload: { n } }));
    expect(await subscription.ended).toBeInstanceOf(SlowConsumerError);
    const received: StoredEvent[] = [];
    await expect(async () => {
      for await (const event of subscription) received.push(event);
    }).rejects.toBeInstanceOf(SlowConsumerError);
    expect(received.map((e) => e.id)).toEqual(published.slice(0, 5).map((e) => e.id));
    expect(subscription.cursor).toBe(published[4]?.id);
    const resumed = await collect(rail, 'c', { after: subscription.cursor as string });
    await until(() => resumed.events.length === 15, 'resume');
    expect(resumed.events.map((e) => e.id)).toEqual(published.slice(5).map((e) => e.id));
    resumed.subscription.close();
  });

  it('ends only the subscription whose listener throws', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const thrower = await rail.subscribe('c', {
      from: 'latest',
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    const healthy = await collect(rail, 'c', { from: 'latest' });
    await rail.publish({ channel: 'c', type: 't', payload: { n: 1 } });
    await rail.publish({ channel: 'c', type: 't', payload: { n: 2 } });
    expect(await thrower.ended).toMatchObject({ code: 'internal_error' });
    await until(() => healthy.events.length === 2, 'the healthy subscriber');
    healthy.subscription.close();
  });

  it('iterates, and ends on abort', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const controller = new AbortController();
    const subscription = await rail.subscribe('c', { from: 'earliest', signal: controller.signal });
    await rail.publish({ channel: 'c', type: 't', payload: { n: 1 } });
    const seen: number[] = [];
    for await (const event of subscription) {
      seen.push(event.payload.n as number);
      controller.abort();
    }
    expect(seen).toEqual([1]);
    expect(await subscription.ended).toBeNull();
    expect(rail.liveChannels).toBe(0);
  });

  it('tells onEnd once how it ended, and honours a signal aborted before subscribing', async () => {
    const rail = new ReplayRail({
      store: new MemoryEventStore(),
      config: { maxStreamLength: 2, approximateTrimming: false },
    });
    const ends: unknown[] = [];
    const closed = await rail.subscribe('c', { from: 'latest', onEnd: (end) => ends.push(end) });
    closed.close();
    closed.close();
    expect(ends).toEqual([null]);

    const first = await rail.publish({ channel: 'c', type: 't', payload: {} });
    for (let n = 0; n < 3; n++) await rail.publish({ channel: 'c', type: 't', payload: { n } });
    const expired: unknown[] = [];
    const late = await rail.subscribe('c', { after: first.id, onEvent: () => {}, onEnd: (end) => expired.push(end) });
    expect(await late.ended).toBeInstanceOf(ReplayWindowExpiredError);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toBe(await late.ended);

    const aborted = await rail.subscribe('c', { from: 'earliest', signal: AbortSignal.abort() });
    expect(aborted.closed).toBe(true);
    expect(await aborted.ended).toBeNull();
    expect(rail.liveChannels).toBe(0);
  });

  it('iterates events with their wire frames', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const subscription = await rail.subscribe('c', { from: 'earliest' });
    const published = [];
    for (let n = 0; n < 3; n++) published.push(await rail.publish({ channel: 'c', type: 't', payload: { n } }));
    const seen: { id: string; frame: string }[] = [];
    for await (const { event, frame } of subscription.frames()) {
      seen.push({ id: event.id, frame });
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(published.map((event) => ({ id: event.id, frame: toWireJson(event) })));
    expect(subscription.closed).toBe(true);
    expect(rail.liveChannels).toBe(0);
  });

  it('subscribes since a time: the first event at or after it, then live', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    await rail.publish({ channel: 'c', type: 't', payload: { n: 0 } });
    await tick(5);
    const since = new Date();
    await tick(2);
    const later = await rail.publish({ channel: 'c', type: 't', payload: { n: 1 } });
    const { subscription, events } = await collect(rail, 'c', { since });
    const empty = await collect(rail, 'c', { since: new Date(Date.now() + 60_000) });
    const live = await rail.publish({ channel: 'c', type: 't', payload: { n: 2 } });
    await until(() => events.length === 2 && empty.events.length === 1, 'since');
    expect(events.map((e) => e.id)).toEqual([later.id, live.id]);
    expect(empty.events.map((e) => e.id)).toEqual([live.id]);
    subscription.close();
    empty.subscription.close();
  });

  it('delivers an event published while the first page of a start at a time was read', async () => {
    const memory = new MemoryEventStore();
    const writer = new ReplayRail({ store: memory });
    let sneaked: StoredEvent | undefined;
    // The store, but an event is published between the first page's read and its answer.
    const store = new Proxy(memory, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== 'replay') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<EventStore['replay']>) => {
          const page = await memory.replay(...args);
          sneaked ??= await writer.publish({ channel: 'c', type: 't', payload: { sneaked: true } });
          return page;
        };
      },
    });
    const rail = new ReplayRail({ store });
    const { subscription, events } = await collect(rail, 'c', { since: new Date(Date.now() + 60_000) });
    await until(() => sneaked !== undefined && events.length === 1, 'the event published during the first page');
    expect(events.map((event) => event.id)).toEqual([sneaked?.id]);
    subscription.close();
  });
});

// Random interleavings of publishes, subscribes, unsubscribes and reconnects: every
// subscriber must end up with exactly the events after its start, once, in order.
describe('rail.subscribe properties (fast-check)', () => {
  type Command =
    | { kind: 'publish'; count: number }
    | { kind: 'subscribe'; at: number }
    | { kind: 'unsubscribe'; which: number }
    | { kind: 'reconnect'; which: number }
    | { kind: 'pause'; ms: number };

  const command: fc.Arbitrary<Command> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('publish' as const), count: fc.integer({ min: 1, max: 8 }) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('subscribe' as const), at: fc.integer({ min: -2, max: 60 }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), which: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('reconnect' as const), which: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 3 }) }) },
  );

  it('no gap, no duplicate, for any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        async (commands, page) => {
          const rail = new ReplayRail({
            store: new MemoryEventStore(),
            config: { defaultReplayLimit: page, readBatchSize: page, maxStreamLength: null },
          });
          const published: StoredEvent[] = [];
          interface Subscriber {
            startIndex: number; // events after published[startIndex - 1]
            received: StoredEvent[];
            current: Subscription;
            active: boolean;
          }
          const subscribers: Subscriber[] = [];
          const connect = async (subscriber: Subscriber, after: string): Promise<void> => {
            subscriber.current = await rail.subscribe('p', {
              after,
              onEvent: (event) => subscriber.received.push(event),
            });
          };
          const pending: Promise<unknown>[] = [];
          for (const c of commands) {
            if (c.kind === 'publish') {
              // Concurrent publishes, not awaited before the next command.
              for (let n = 0; n < c.count; n++) {
                pending.push(rail.publish({ channel: 'p', type: 't', payload: { n } }).then((e) => published.push(e)));
              }
            } else if (c.kind === 'subscribe') {
              await Promise.all(pending.splice(0));
              const index = c.at < 0 ? published.length : Math.min(c.at, published.length);
              const after = index === 0 ? '0-0' : (published[index - 1] as StoredEvent).id;
              const subscriber: Subscriber = {
                startIndex: index,
                received: [],
                current: undefined as never,
                active: true,
              };
              subscribers.push(subscriber);
              await connect(subscriber, after);
            } else if (c.kind === 'unsubscribe' || c.kind === 'reconnect') {
              const subscriber = subscribers.filter((s) => s.active)[c.which % Math.max(1, subscribers.length)];
              if (subscriber === undefined) continue;
              subscriber.current.close();
              if (c.kind === 'unsubscribe') subscriber.active = false;
              else {
                const last = subscriber.received.at(-1);
                const after =
                  last?.id ??
                  (subscriber.startIndex === 0 ? '0-0' : (published[subscriber.startIndex - 1] as StoredEvent).id);
                await connect(subscriber, after);
              }
            } else {
              await tick(c.ms);
            }
          }
          await Promise.all(pending);
          const active = subscribers.filter((s) => s.active);
          await until(
            () => active.every((s) => s.received.length === published.length - s.startIndex),
            'every active subscriber to catch up',
          );
          published.sort((a, b) => compareCursors(a.id, b.id));
          for (const s of active) {
            expect(s.received.map((e) => e.id)).toEqual(published.slice(s.startIndex).map((e) => e.id));
            s.current.close();
          }
          for (const s of subscribers.filter((x) => !x.active)) {
            // An unsubscribed one got a prefix of its sequence: in order, no duplicate.
            expect(s.received.map((e) => e.id)).toEqual(
              published.slice(s.startIndex, s.startIndex + s.received.length).map((e) => e.id),
            );
          }
          expect(rail.liveChannels).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
