import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { StoreUnavailableError } from '@replayrail/core/errors';
import type { AppendRequest, StreamRef } from '@replayrail/core/store';
import { MemoryEventStore } from '@replayrail/store-memory';
import { afterEach, expect, it, vi } from 'vitest';
import { TrafficSimulator } from './simulator.js';

// Closing the server closes the simulator: the orders under way are abandoned, and
// nothing is published once close() has resolved. A step whose publish is retried is
// stored once, and the order's chain of causes goes on through it.
const rails: ReplayRail[] = [];
afterEach(async () => {
  for (const rail of rails.splice(0)) await rail.close();
});

it('stops with the server: nothing is published after close, and no run starts again', async () => {
  const rail = new ReplayRail({ store: new MemoryEventStore() });
  rails.push(rail);
  const simulator = new TrafficSimulator(rail, { maxInFlight: 3, durationMs: 60_000 });
  const count = async () =>
    (await rail.replay('restaurant:close:orders', { from: 'earliest', limit: 1000 })).events.length +
    (await rail.replay('restaurant:close:kitchen', { from: 'earliest', limit: 1000 })).events.length;
  expect(simulator.start('close')).toBe('started');
  await vi.waitFor(async () => expect(await count()).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
  await simulator.close();
  expect(simulator.view()).toMatchObject({ state: 'idle', in_flight: 0, orders_failed: 0 });
  const published = await count();
  // Longer than any pause between two steps: an order still under way would have published by now.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(await count()).toBe(published);
  expect(() => simulator.start('close')).toThrow(/stopping/);
});

// A store that stores the first order.preparing and answers with a failure, as a
// connection lost after the write: the simulator publishes it again, naming the same
// cause, and gets the stored event back (the same fingerprint) instead of a conflict.
class LostAnswerStore extends MemoryEventStore {
  lost = 0;
  override async append(stream: StreamRef, request: AppendRequest): Promise<StoredEvent> {
    const stored = await super.append(stream, request);
    if (request.event.type === 'order.preparing' && this.lost++ === 0) {
      throw new StoreUnavailableError('the answer was lost after the write');
    }
    return stored;
  }
}

it('publishes a step again after a lost answer: stored once, still caused by the step before', async () => {
  const store = new LostAnswerStore();
  const rail = new ReplayRail({ store, config: { lineage: { index: true } } });
  rails.push(rail);
  // One order: the run ends before the simulator's next order would start.
  const simulator = new TrafficSimulator(rail, { maxInFlight: 1, durationMs: 300 });
  expect(simulator.start('retry')).toBe('started');
  await vi.waitFor(() => expect(simulator.view().state).toBe('idle'), { timeout: 15_000 });
  await simulator.close();
  expect(simulator.view()).toMatchObject({ orders_started: 1, orders_delivered: 1, orders_failed: 0 });
  expect(store.lost).toBe(2); // the first publish and its retry
  const kitchen = (await rail.replay('restaurant:retry:kitchen', { from: 'earliest' })).events;
  expect(kitchen.map((event) => event.type)).toEqual(['order.preparing', 'order.ready']);
  const [preparing, ready] = kitchen;
  const orderId = String(preparing?.payload.order_id);
  expect(preparing?.metadata.causation_id).toBe(`${orderId}.order.confirmed`);
  // The step after the retried one names it: the stored event came back from the retry.
  expect(ready?.metadata.causation_id).toBe(preparing?.event_id);
  const correlation = String(preparing?.metadata.correlation_id);
  const lineage = await rail.lineage(correlation);
  expect(lineage.edges.map((edge) => `${edge.cause} -> ${edge.effect}`)).toEqual([
    `${orderId}.order.created -> ${orderId}.order.confirmed`,
    `${orderId}.order.confirmed -> ${orderId}.order.preparing`,
    `${orderId}.order.preparing -> ${orderId}.order.ready`,
    `${orderId}.order.ready -> ${orderId}.order.delivered`,
  ]);
}, 20_000);
