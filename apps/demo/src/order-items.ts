/**
 * @module
 * An order's items as its events carry them: what the ticket printer prints and what
 * the kitchen estimates from. `POST /events` checked them against the catalog; an
 * event published some other way may carry anything, and what is not an item is
 * left out.
 */

import type { ReplayRail, StoredEvent } from '@replayrail/core';

/** One line of an order: a dish and how many. */
export interface Item {
  name: string;
  qty: number;
}

/** The items of an event's payload, or none when it carries no list of them. */
export function itemsOf(payload: StoredEvent['payload']): Item[] {
  const items = payload.items;
  if (!Array.isArray(items)) return [];
  const found: Item[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
    if (typeof item.name === 'string' && typeof item.qty === 'number') found.push({ name: item.name, qty: item.qty });
  }
  return found;
}

/**
 * The items of order `orderId` in the orders `channel`: as confirmed, or as created
 * when the confirmation lists none (or has not come yet); none for an order posted
 * without items; undefined when the channel has no event of that order. Reads the
 * retained events page by page, as the timeline does (a demo's streams are short).
 */
export async function findOrderItems(rail: ReplayRail, channel: string, orderId: string): Promise<Item[] | undefined> {
  let found = false;
  let created: Item[] = [];
  let confirmed: Item[] = [];
  for await (const event of rail.replayAll(channel, { pageSize: 1_000 })) {
    if (event.payload.order_id !== orderId) continue;
    found = true;
    if (event.type === 'order.created') created = itemsOf(event.payload);
    else if (event.type === 'order.confirmed') confirmed = itemsOf(event.payload);
  }
  if (!found) return undefined;
  return confirmed.length > 0 ? confirmed : created;
}
