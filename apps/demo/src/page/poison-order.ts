/**
 * @module
 * "Send poison order": an order the ticket printer can never print, posted through
 * `POST /events` as a waiter's tablet would, each step with its own event_id (a
 * retried request stores nothing twice) and the order's W3C traceparent, which the
 * server's publish continues: the operator's timeline shows one trace ID for it.
 * An HTTP client has no `causedBy`: the confirmation names its cause itself
 * (`metadata.causation_id`, the created step's event_id), so the order's causation
 * graph links the two, and shows the printer's dead-lettered mark on the second.
 */

import type { DemoEvents } from '../catalog.js';
import { newTraceId, newTraceparent } from '../traceparent.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The event_id a step is posted under.
const eventIdOf = (orderId: string, type: keyof DemoEvents) => `${orderId}.${type}`;

async function post<Type extends keyof DemoEvents>(
  channel: string,
  type: Type,
  payload: DemoEvents[Type],
  metadata: { correlation_id: string; causation_id?: string },
  traceId: string,
): Promise<void> {
  const response = await fetch(`/events/${channel}`, {
    method: 'POST',
    // The order's trace, as a browser instrumented with OpenTelemetry would send it.
    headers: { 'content-type': 'application/json', traceparent: newTraceparent(traceId) },
    body: JSON.stringify({
      type,
      payload,
      actor: { type: 'waiter', id: 'usr_1' },
      metadata: { ...metadata, source: 'simulator' },
      event_id: eventIdOf(payload.order_id, type),
    }),
  });
  if (!response.ok) throw new Error(`POST ${type}: ${response.status} ${await response.text()}`);
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
  const correlationId = `req_${Math.random().toString(36).slice(2, 10)}`;
  const traceId = newTraceId();
  const orders = `restaurant:${restaurant}:orders`;
  await post(orders, 'order.created', { order_id: id, table: 7, items }, { correlation_id: correlationId }, traceId);
  await sleep(300);
  const confirmed = { correlation_id: correlationId, causation_id: eventIdOf(id, 'order.created') };
  await post(orders, 'order.confirmed', { order_id: id, items }, confirmed, traceId);
  return id;
}
