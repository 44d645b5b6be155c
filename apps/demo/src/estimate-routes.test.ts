import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Demo, startDemo } from './app.js';
import type { CallErrorView, EstimateView, RpcView } from './rpc-api.js';

// The board's call to the kitchen and the operator's record of calls, on the memory
// store (the kitchen and the printer in the demo's process, called over the rail
// all the same): an estimate from the order's items and the orders ahead of it, the
// kitchen's typed refusal, bad input, and a timeout when no kitchen runs.
async function json<T>(response: Response): Promise<{ status: number; body: T }> {
  return { status: response.status, body: (await response.json()) as T };
}

function client(demo: Demo) {
  const base = `http://127.0.0.1:${demo.port}`;
  return {
    get: async <T>(path: string) => json<T>(await fetch(`${base}${path}`)),
    publish: async (channel: string, type: string, payload: object) => {
      const response = await fetch(`${base}/events/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type, payload }),
      });
      expect(response.status).toBe(201);
    },
  };
}

describe('the estimate route, on the memory store', () => {
  let demo: Demo;
  let http: ReturnType<typeof client>;
  beforeAll(async () => {
    demo = await startDemo({ port: 0, host: '127.0.0.1', printer: { printMs: 10, claimIdleMs: 300 } });
    http = client(demo);
  });
  afterAll(async () => {
    await demo?.close();
  });

  const orders = 'restaurant:est:orders';
  const kitchen = 'restaurant:est:kitchen';

  it("answers the kitchen's estimate, from the order's items and the orders ahead of it", async () => {
    // A Risotto being prepared (18 min, half done), and an order already ready (not counted).
    await http.publish(orders, 'order.confirmed', { order_id: 'ord_risotto', items: [{ name: 'Risotto', qty: 1 }] });
    await http.publish(kitchen, 'order.preparing', { order_id: 'ord_risotto' });
    await http.publish(orders, 'order.confirmed', { order_id: 'ord_done', items: [{ name: 'Lasagne', qty: 4 }] });
    await http.publish(kitchen, 'order.ready', { order_id: 'ord_done' });
    const items = [
      { name: 'Margherita', qty: 2 },
      { name: 'Caesar salad', qty: 1 },
    ];
    await http.publish(orders, 'order.created', { order_id: 'ord_pizza', items });
    await http.publish(orders, 'order.confirmed', { order_id: 'ord_pizza', items });

    const { status, body } = await http.get<EstimateView>('/orders/ord_pizza/estimate?restaurant=est');
    expect(status).toBe(200);
    // 9 (Margherita) + 2 portions more; behind half a Risotto (9) shared by 2 cooks: 5.
    expect(body).toMatchObject({
      order_id: 'ord_pizza',
      restaurant: 'est',
      estimate: {
        orderId: 'ord_pizza',
        cookMinutes: 11,
        waitMinutes: 5,
        minutes: 16,
        ordersAhead: 1,
        unknownDishes: [],
        estimatedBy: `kitchen-${process.pid}`,
      },
    });
    expect(Date.parse(body.estimate.readyAt)).toBeGreaterThan(Date.now() + 15 * 60_000);

    // An order not confirmed yet waits behind every order in the kitchen; a dish off the menu counts 10 minutes.
    await http.publish(orders, 'order.created', { order_id: 'ord_new', items: [{ name: 'Œufs en meurette', qty: 1 }] });
    const later = await http.get<EstimateView>('/orders/ord_new/estimate?restaurant=est');
    expect(later.body.estimate).toMatchObject({
      cookMinutes: 10,
      waitMinutes: 10, // (9 + 11) / 2
      minutes: 20,
      ordersAhead: 2,
      unknownDishes: ['Œufs en meurette'],
    });
  });

  it("answers the kitchen's refusal of an order with no items as a 422, with its code and data", async () => {
    await http.publish(orders, 'order.created', { order_id: 'ord_empty' });
    const { status, body } = await http.get<CallErrorView>('/orders/ord_empty/estimate?restaurant=est');
    expect(status).toBe(422);
    expect(body).toEqual({
      error: {
        code: 'rpc_error',
        method: 'kitchen.estimate',
        rpc_code: -32000,
        message: expect.stringContaining('no items'),
        data: { orderId: 'ord_empty', reason: 'no_items' },
      },
    });
  });

  it('refuses an order the channel does not have, and bad input, without calling', async () => {
    const unknown = await http.get<{ error: { code: string } }>('/orders/ord_nobody/estimate?restaurant=est');
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'order_not_found' } } });
    for (const [path, field] of [
      [`/orders/${'x'.repeat(65)}/estimate`, 'orderId'],
      ['/orders/ord_1/estimate?restaurant=a:b', 'restaurant'],
    ] as const) {
      const { status, body } = await http.get<{ error: { code: string; message: string } }>(path);
      expect(status, path).toBe(400);
      expect(body.error.message, path).toContain(field);
    }
  });

  it("shows the server's record of its calls and the printer's own status on /operator/rpc", async () => {
    const { status, body } = await http.get<RpcView>('/operator/rpc');
    expect(status).toBe(200);
    expect(body.kitchen).toEqual({
      mode: 'in-process',
      name: `kitchen-${process.pid}`,
      pid: process.pid,
      state: 'running',
    });
    expect(body.timeout_ms).toBe(2_000);
    expect(body.printer_status).toMatchObject({
      status: { name: 'printer-1', pid: process.pid, restaurant: '123', state: 'waiting', held: 0, printMs: 10 },
    });
    const estimate = body.calls.find((call) => call.method === 'kitchen.estimate');
    // The calls of the tests above: two estimates, one refusal (the 404 and the 400s made no call).
    expect(estimate).toMatchObject({ calls: 3, errors: 1, errors_by_code: { 'rpc_error -32000': 1 }, window: 1_000 });
    // Latencies are measured: their values are no test's business, only their shape
    // (call-record.test.ts checks the percentiles on latencies it gives).
    expect(estimate).toMatchObject({ p50_ms: expect.any(Number), p99_ms: expect.any(Number) });
    // This very call is counted.
    expect(body.calls.find((call) => call.method === 'printer.status')).toMatchObject({ calls: 1, errors: 0 });
  });

  it("counts the printer's tickets in its status", async () => {
    await http.publish('restaurant:123:orders', 'order.confirmed', {
      order_id: 'ord_ticket',
      items: [{ name: 'Tiramisu', qty: 1 }],
    });
    await vi.waitFor(
      async () => {
        const { body } = await http.get<RpcView>('/operator/rpc');
        expect(body.printer_status).toMatchObject({
          status: { ticketsPrinted: 1, lastTicket: { orderId: 'ord_ticket', attempt: 1 } },
        });
      },
      { timeout: 10_000 },
    );
  });
});

describe('the estimate route without a kitchen', () => {
  it('answers a 504 rpc_timeout, and the record counts it', async () => {
    // The kitchen stopped (KITCHEN=off): the call waits its timeout, 200 ms here.
    const demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      printer: false,
      kitchen: false,
      rpc: { timeoutMs: 200 },
    });
    try {
      const http = client(demo);
      await http.publish('restaurant:123:orders', 'order.created', {
        order_id: 'ord_waiting',
        items: [{ name: 'Carbonara', qty: 1 }],
      });
      const { status, body } = await http.get<CallErrorView>('/orders/ord_waiting/estimate');
      expect(status).toBe(504);
      expect(body).toEqual({
        error: { code: 'rpc_timeout', method: 'kitchen.estimate', message: expect.stringContaining('200 ms') },
      });
      const rpc = await http.get<RpcView>('/operator/rpc');
      expect(rpc.body).toMatchObject({ timeout_ms: 200, kitchen: null, printer_status: null });
      expect(rpc.body.calls.find((call) => call.method === 'kitchen.estimate')).toMatchObject({
        calls: 1,
        errors: 1,
        errors_by_code: { rpc_timeout: 1 },
      });
    } finally {
      await demo.close();
    }
  });
});
