import { ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { afterEach, expect, it, vi } from 'vitest';
import { TrafficSimulator } from './simulator.js';

// Closing the server closes the simulator: the orders under way are abandoned, and
// nothing is published once close() has resolved.
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
