/**
 * @module
 * "Simulate traffic": realistic orders, each published through `POST /events` as
 * a waiter, the kitchen and a courier would, step by step. Each step has its own
 * event_id, so a retried request stores nothing twice. Each order is one trace: its
 * steps are sent with a W3C traceparent in the order's trace, which the server's
 * publish continues, so each event's `metadata.trace_context` (see the README) has
 * the order's trace ID, which the operator's timeline shows.
 * "Send poison order" posts an order the ticket printer can never print.
 */

import type { DemoEvents } from '../catalog.js';
import { newTraceId, newTraceparent } from '../traceparent.js';

const DISHES = ['Margherita', 'Carbonara', 'Caesar salad', 'Tiramisu', 'Lasagne', 'Minestrone', 'Risotto'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** One step of an order: where it goes, what it says, who does it, and the pause before it. */
interface Step<Type extends keyof DemoEvents = keyof DemoEvents> {
  channel: string;
  type: Type;
  payload: DemoEvents[Type];
  actor: Record<string, unknown>;
  pauseMs: number;
}

async function publish(step: Step, correlationId: string, traceId: string): Promise<void> {
  const response = await fetch(`/events/${step.channel}`, {
    method: 'POST',
    // The order's trace, as a browser instrumented with OpenTelemetry would send it:
    // the server's publish continues it and stores its own span's context in the event.
    headers: { 'content-type': 'application/json', traceparent: newTraceparent(traceId) },
    body: JSON.stringify({
      type: step.type,
      payload: step.payload,
      actor: step.actor,
      metadata: { correlation_id: correlationId, source: 'simulator' },
      event_id: `${step.payload.order_id}.${step.type}`,
    }),
  });
  if (!response.ok) throw new Error(`POST ${step.type}: ${response.status} ${await response.text()}`);
}

/** Runs `count` orders through every step, overlapping, like a busy evening. */
export async function simulateTraffic(restaurant: string, count = 5): Promise<void> {
  const orders = `restaurant:${restaurant}:orders`;
  const kitchen = `restaurant:${restaurant}:kitchen`;
  const runs = Array.from({ length: count }, async (_, i) => {
    await sleep(i * 400);
    const id = `ord_${Date.now().toString(36)}${i}`;
    const correlation = `req_${Math.random().toString(36).slice(2, 10)}`;
    const traceId = newTraceId();
    const waiter = { type: 'waiter', id: `usr_${1 + (i % 3)}` };
    const chef = { type: 'chef', id: 'usr_chef' };
    const items = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => ({
      name: pick(DISHES),
      qty: 1 + Math.floor(Math.random() * 2),
    }));
    const table = 1 + Math.floor(Math.random() * 20);
    const steps: Step[] = [
      { channel: orders, type: 'order.created', payload: { order_id: id, table, items }, actor: waiter, pauseMs: 0 },
      {
        channel: orders,
        type: 'order.confirmed',
        payload: { order_id: id, eta_minutes: 15 + Math.floor(Math.random() * 20), items },
        actor: waiter,
        pauseMs: 500 + Math.random() * 500,
      },
      {
        channel: kitchen,
        type: 'order.preparing',
        payload: { order_id: id, station: pick(['grill', 'pasta', 'cold']) },
        actor: chef,
        pauseMs: 500 + Math.random() * 800,
      },
      {
        channel: kitchen,
        type: 'order.ready',
        payload: { order_id: id },
        actor: chef,
        pauseMs: 800 + Math.random() * 1000,
      },
      {
        channel: orders,
        type: 'order.delivered',
        payload: { order_id: id },
        actor: { type: 'courier', id: `usr_courier_${i % 2}` },
        pauseMs: 500 + Math.random() * 800,
      },
    ];
    for (const step of steps) {
      await sleep(step.pauseMs);
      await publish(step, correlation, traceId);
    }
  });
  await Promise.all(runs);
}

/**
 * Creates and confirms an order with an item the printer's code page lacks (the Œ
 * of Œufs en meurette is not in Latin-1): every attempt to print it fails, and it
 * ends in the printer's dead letters. Resolves to its order_id.
 */
export async function sendPoisonOrder(restaurant: string): Promise<string> {
  const id = `ord_poison_${Date.now().toString(36)}`;
  const items = [
    { name: 'Tiramisu', qty: 1 },
    { name: 'Œufs en meurette', qty: 1 },
  ];
  const waiter = { type: 'waiter', id: 'usr_1' };
  const correlation = `req_${Math.random().toString(36).slice(2, 10)}`;
  const traceId = newTraceId();
  const orders = `restaurant:${restaurant}:orders`;
  const steps: Step[] = [
    { channel: orders, type: 'order.created', payload: { order_id: id, table: 7, items }, actor: waiter, pauseMs: 0 },
    { channel: orders, type: 'order.confirmed', payload: { order_id: id, items }, actor: waiter, pauseMs: 300 },
  ];
  for (const step of steps) {
    await sleep(step.pauseMs);
    await publish(step, correlation, traceId);
  }
  return id;
}
