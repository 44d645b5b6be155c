/**
 * @module
 * The demo's event catalog: one zod schema per event type. `POST /events` checks
 * bodies against it (an unknown type or a bad payload is a 400 naming the field),
 * and the page takes its types from it (type-only: no zod in the browser bundle).
 * Every `order.*` event needs only `order_id`, so the Python README's curl works
 * as it is; other fields are checked when present and kept when unknown (the
 * Python README's `order.ready` carries a `table_id`).
 */

import { defineCatalog } from '@replayrail/adapter-hono';
import { z } from 'zod';

const orderId = z.string().min(1).max(64);
const items = z
  .array(z.looseObject({ name: z.string().min(1).max(80), qty: z.number().int().positive() }))
  .max(50)
  .optional();

export const catalog = defineCatalog({
  'order.created': z.looseObject({
    order_id: orderId,
    table: z.number().int().positive().optional(),
    items,
    total_cents: z.number().int().nonnegative().optional(),
  }),
  // The confirmation carries the items as confirmed: what the ticket printer prints.
  'order.confirmed': z.looseObject({ order_id: orderId, eta_minutes: z.number().int().positive().optional(), items }),
  'order.preparing': z.looseObject({ order_id: orderId, station: z.string().max(40).optional() }),
  'order.ready': z.looseObject({ order_id: orderId }),
  'order.delivered': z.looseObject({ order_id: orderId }),
  // Published by the ticket printer (src/printer.ts) on the kitchen channel: which
  // consumer printed it, on which attempt (2 or more after a reclaim or a retry).
  'kitchen.ticket.created': z.looseObject({
    order_id: orderId,
    printed_by: z.string().min(1).max(128),
    attempt: z.number().int().positive(),
    items,
  }),
});

/** Event type → payload, for the client SDK's typed handlers. */
export type DemoEvents = { [Type in keyof typeof catalog]: z.output<(typeof catalog)[Type]> };
