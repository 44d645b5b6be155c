/**
 * @module
 * "Simulate traffic": realistic orders, each published through `POST /events` as
 * a waiter, the kitchen and a courier would, step by step. Each step has its own
 * event_id, so a retried request stores nothing twice.
 */

import type { DemoEvents } from '../catalog.js';

const DISHES = ['Margherita', 'Carbonara', 'Caesar salad', 'Tiramisu', 'Lasagne', 'Minestrone', 'Risotto'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

async function publish<Type extends keyof DemoEvents>(
  channel: string,
  type: Type,
  payload: DemoEvents[Type],
  actor: Record<string, unknown>,
  correlationId: string,
): Promise<void> {
  const response = await fetch(`/events/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type,
      payload,
      actor,
      metadata: { correlation_id: correlationId, source: 'simulator' },
      event_id: `${payload.order_id}.${type}`,
    }),
  });
  if (!response.ok) throw new Error(`POST ${type}: ${response.status} ${await response.text()}`);
}

/** Runs `count` orders through every step, overlapping, like a busy evening. */
export async function simulateTraffic(restaurant: string, count = 5): Promise<void> {
  const orders = `restaurant:${restaurant}:orders`;
  const kitchen = `restaurant:${restaurant}:kitchen`;
  const runs = Array.from({ length: count }, async (_, i) => {
    await sleep(i * 400);
    const id = `ord_${Date.now().toString(36)}${i}`;
    const correlation = `req_${Math.random().toString(36).slice(2, 10)}`;
    const waiter = { type: 'waiter', id: `usr_${1 + (i % 3)}` };
    const items = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => ({
      name: pick(DISHES),
      qty: 1 + Math.floor(Math.random() * 2),
    }));
    await publish(
      orders,
      'order.created',
      { order_id: id, table: 1 + Math.floor(Math.random() * 20), items },
      waiter,
      correlation,
    );
    await sleep(500 + Math.random() * 500);
    await publish(
      orders,
      'order.confirmed',
      { order_id: id, eta_minutes: 15 + Math.floor(Math.random() * 20) },
      waiter,
      correlation,
    );
    await sleep(500 + Math.random() * 800);
    await publish(
      kitchen,
      'order.preparing',
      { order_id: id, station: pick(['grill', 'pasta', 'cold']) },
      { type: 'chef', id: 'usr_chef' },
      correlation,
    );
    await sleep(800 + Math.random() * 1000);
    await publish(kitchen, 'order.ready', { order_id: id }, { type: 'chef', id: 'usr_chef' }, correlation);
    await sleep(500 + Math.random() * 800);
    await publish(
      orders,
      'order.delivered',
      { order_id: id },
      { type: 'courier', id: `usr_courier_${i % 2}` },
      correlation,
    );
  });
  await Promise.all(runs);
}
