import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Demo, startDemo } from './app.js';
import { catalog } from './catalog.js';
import type { LineageView } from './operator-api.js';
import { ORDER_STEPS } from './order-steps.js';
import type { SimulatorStartAnswer, SimulatorStopAnswer, SimulatorView } from './simulator-api.js';
import type { TimelineEntry } from './timeline.js';
import { traceIdOf } from './traceparent.js';

// The simulator's routes on the memory store, without a browser: its state, a start
// (two at once start one run), a stop (the orders under way are delivered), its
// limits (orders under way, duration), and the events it publishes: each step caused
// by the one before, the order's lineage a chain.
describe("the simulator's routes, on the memory store", () => {
  const limits = { maxInFlight: 2, durationMs: 2_500 };
  let demo: Demo;
  let base: string;
  beforeAll(async () => {
    demo = await startDemo({ port: 0, host: '127.0.0.1', printer: false, simulator: limits });
    base = `http://127.0.0.1:${demo.port}`;
  });
  afterAll(async () => {
    await demo?.close();
  });

  const state = async () => (await (await fetch(`${base}/simulator`)).json()) as SimulatorView;
  const post = async <T>(path: string) => {
    const response = await fetch(`${base}${path}`, { method: 'POST' });
    return { status: response.status, body: (await response.json()) as T };
  };
  const start = (restaurant: string) => post<SimulatorStartAnswer>(`/simulator/start?restaurant=${restaurant}`);
  const stop = () => post<SimulatorStopAnswer>('/simulator/stop');
  // Waits until the simulator is idle again, checking on the way that it never has more orders under way than its limit.
  const idle = async (timeout = 20_000) => {
    let most = 0;
    await vi.waitFor(
      async () => {
        const view = await state();
        most = Math.max(most, view.in_flight);
        expect(view.state).toBe('idle');
      },
      { timeout, interval: 50 },
    );
    expect(most).toBeLessThanOrEqual(limits.maxInFlight);
    return state();
  };
  const eventsOf = async (channel: string) => {
    const response = await fetch(`${base}/events/${channel}?after=0-0&limit=1000`);
    return ((await response.json()) as { events: TimelineEntry[] }).events;
  };

  it('is idle until started, with its limits, and refuses a restaurant that is no channel segment', async () => {
    expect(await state()).toEqual({
      state: 'idle',
      restaurant: null,
      started_at: null,
      ends_at: null,
      orders_started: 0,
      orders_delivered: 0,
      orders_failed: 0,
      in_flight: 0,
      limits: { max_in_flight: 2, duration_ms: 2_500 },
    });
    const refused = await post<{ error: { code: string; message: string } }>('/simulator/start?restaurant=a:b');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('restaurant'),
    });
    expect((await state()).state).toBe('idle');
  });

  it('starts one run for two tabs pressing at once; a stop lets every order under way be delivered', async () => {
    const [first, second] = await Promise.all([start('sim1'), start('sim1')]);
    expect([first?.status, second?.status]).toEqual([200, 200]);
    expect([first?.body.started, second?.body.started].sort()).toEqual([false, true]);
    expect(second?.body.simulator).toMatchObject({ state: 'running', restaurant: 'sim1' });
    // The run's end is its start plus the duration limit.
    const { started_at: startedAt, ends_at: endsAt } = (await state()) as { started_at: string; ends_at: string };
    expect(Date.parse(endsAt) - Date.parse(startedAt)).toBeGreaterThanOrEqual(limits.durationMs);

    // Another restaurant's tab cannot start a second run meanwhile.
    const busy = await post<{ error: { code: string; message: string } }>('/simulator/start?restaurant=other');
    expect(busy.status).toBe(409);
    expect(busy.body.error).toMatchObject({ code: 'simulator_busy', message: expect.stringContaining('sim1') });

    await vi.waitFor(async () => expect((await state()).orders_started).toBeGreaterThanOrEqual(2), {
      timeout: 10_000,
      interval: 50,
    });
    const stopped = await stop();
    expect(stopped.body.stopped).toBe(true);
    expect(['stopping', 'idle']).toContain(stopped.body.simulator.state);
    expect((await stop()).body.stopped).toBe(false); // not running any more: nothing to stop
    const done = await idle();
    expect(done).toMatchObject({ restaurant: 'sim1', in_flight: 0, orders_failed: 0, ends_at: null });
    expect(done.orders_delivered).toBe(done.orders_started);

    // Every order it started went through the five steps, as the page's simulator published them.
    const events = [...(await eventsOf('restaurant:sim1:orders')), ...(await eventsOf('restaurant:sim1:kitchen'))];
    const orders = new Map<string, TimelineEntry[]>();
    for (const event of events) {
      const id = String(event.payload.order_id);
      orders.set(id, [...(orders.get(id) ?? []), event]);
    }
    expect(orders.size).toBe(done.orders_started);
    for (const [id, steps] of orders) {
      expect(steps.map((event) => event.type).sort()).toEqual([...ORDER_STEPS].sort());
      for (const event of steps) {
        expect(event.event_id).toBe(`${id}.${event.type}`);
        expect(catalog[event.type as keyof typeof catalog].safeParse(event.payload).success, event.type).toBe(true);
        expect(event.metadata).toMatchObject({ correlation_id: expect.stringMatching(/^req_/), source: 'simulator' });
        const who = { 'order.preparing': 'chef', 'order.ready': 'chef', 'order.delivered': 'courier' }[event.type];
        expect(event.actor).toMatchObject({ type: who ?? 'waiter', id: expect.stringMatching(/^usr_/) });
      }
      // One order, one correlation and one trace (each step continues the order's traceparent).
      expect(new Set(steps.map((event) => event.metadata.correlation_id)).size).toBe(1);
      const traces = new Set(steps.map((event) => traceIdOf(event.metadata)));
      expect(traces.size).toBe(1);
      expect([...traces][0]).toMatch(/^[0-9a-f]{32}$/);
      // Each step caused by the one before: the order's lineage is the chain of its steps.
      for (const event of steps) {
        const before = ORDER_STEPS[ORDER_STEPS.indexOf(event.type as (typeof ORDER_STEPS)[number]) - 1];
        expect(event.metadata.causation_id, event.type).toBe(before && `${id}.${before}`);
      }
      const lineage = await fetch(`${base}/operator/orders/${id}/lineage?restaurant=sim1`);
      const { correlation_id: correlation, lineage: graph } = (await lineage.json()) as LineageView;
      expect(correlation).toBe(steps[0]?.metadata.correlation_id);
      expect(graph.nodes.map((node) => node.event.type)).toEqual([...ORDER_STEPS]);
      expect(graph.edges).toEqual(
        ORDER_STEPS.slice(1).map((type, n) => ({ cause: `${id}.${ORDER_STEPS[n]}`, effect: `${id}.${type}` })),
      );
    }
  }, 30_000);

  it('ends a run by itself after its duration, and takes up a stopping run again on a start', async () => {
    expect((await start('sim2')).body.started).toBe(true);
    const done = await idle();
    expect(done.orders_started).toBeGreaterThanOrEqual(1);
    expect(done.orders_delivered).toBe(done.orders_started);

    // A start while the orders under way finish: the same run goes on, with them.
    await start('sim3');
    const stopping = await stop();
    expect(stopping.body.simulator).toMatchObject({ state: 'stopping', in_flight: 1 });
    const again = await start('sim3');
    expect(again.body).toMatchObject({ started: true, simulator: { state: 'running', restaurant: 'sim3' } });
    expect(again.body.simulator.orders_started).toBeGreaterThanOrEqual(1);
    await stop();
    const last = await idle();
    expect(last.orders_delivered).toBe(last.orders_started);
  }, 40_000);
});
