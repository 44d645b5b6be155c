/**
 * @module
 * The orders a restaurant's kitchen is working on, read from its channels when the
 * kitchen is asked (the channels are the truth; the kitchen keeps no state of its
 * own, so any kitchen process answers the same): an order is in the kitchen from its
 * `order.confirmed` (orders channel) until its `order.ready` (kitchen channel) or
 * `order.delivered` (orders channel), and being prepared once `order.preparing`
 * (kitchen channel) is seen.
 *
 * Only the last `LOOKBACK_MS` of the channels are read: an order confirmed longer ago
 * that never got ready is taken as abandoned, and a long history is not read.
 */

import type { ReplayRail } from '@replayrail/core';
import { compareCursors } from '@replayrail/core/cursor';
import { type Item, itemsOf } from './order-items.js';
import { kitchenChannel, ordersChannel } from './printer.js';

/** How far back the kitchen looks for orders under way. */
export const LOOKBACK_MS = 60 * 60_000;

/** An order in the kitchen. */
export interface KitchenOrder {
  orderId: string;
  /** The cursor of its `order.confirmed` in the orders channel: the kitchen's order of arrival. */
  confirmedAt: string;
  /** As confirmed (or, when the confirmation lists none, as created). */
  items: Item[];
  preparing: boolean;
}

interface Seen {
  created: Item[];
  confirmed?: { at: string; items: Item[] };
  preparing: boolean;
  done: boolean;
}

/** The orders in the restaurant's kitchen now, by order ID. */
export async function ordersInKitchen(
  rail: ReplayRail,
  restaurant: string,
  now = Date.now(),
): Promise<Map<string, KitchenOrder>> {
  const since = new Date(now - LOOKBACK_MS);
  const seen = new Map<string, Seen>();
  for (const channel of [ordersChannel(restaurant), kitchenChannel(restaurant)]) {
    for await (const event of rail.replayAll(channel, { since, pageSize: 1_000 })) {
      const orderId = event.payload.order_id;
      if (typeof orderId !== 'string') continue;
      const order = seen.get(orderId) ?? { created: [], preparing: false, done: false };
      seen.set(orderId, order);
      if (event.type === 'order.created') order.created = itemsOf(event.payload);
      else if (event.type === 'order.confirmed') order.confirmed = { at: event.id, items: itemsOf(event.payload) };
      else if (event.type === 'order.preparing') order.preparing = true;
      else if (event.type === 'order.ready' || event.type === 'order.delivered') order.done = true;
    }
  }
  const inKitchen = new Map<string, KitchenOrder>();
  for (const [orderId, order] of seen) {
    if (order.confirmed === undefined || order.done) continue;
    const items = order.confirmed.items.length > 0 ? order.confirmed.items : order.created;
    inKitchen.set(orderId, { orderId, confirmedAt: order.confirmed.at, items, preparing: order.preparing });
  }
  return inKitchen;
}

/** The orders ahead of `orderId`: confirmed before it, or all of them while it is not confirmed. */
export function ordersAhead(inKitchen: ReadonlyMap<string, KitchenOrder>, orderId: string): KitchenOrder[] {
  const own = inKitchen.get(orderId);
  return [...inKitchen.values()].filter(
    (order) =>
      order.orderId !== orderId && (own === undefined || compareCursors(order.confirmedAt, own.confirmedAt) < 0),
  );
}
