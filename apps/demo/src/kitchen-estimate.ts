/**
 * @module
 * The kitchen's model of time, a plain function of an order's items and of the
 * orders ahead of it (kitchen-queue.ts finds them):
 *
 * - **Cooking.** An order's dishes cook side by side, each at its station, so the
 *   order takes as long as its longest dish (`DISH_MINUTES`; a dish not on the menu
 *   takes `UNKNOWN_DISH_MINUTES`), plus a minute of plating for each portion after
 *   the first.
 * - **Waiting.** The orders ahead (confirmed before it, not ready yet) are shared
 *   among `COOKS` cooks: the wait is their cooking time, divided by the cooks, rounded
 *   up. An order already being prepared is counted at half its time (on average, half
 *   done).
 *
 * So an order of 2 Margherita and a Caesar salad alone in the kitchen takes 9 + 2 =
 * 11 minutes; behind a Risotto being prepared (9 of its 18 minutes left), 11 + 5.
 */

import type { Item } from './order-items.js';

/** Minutes one portion of each dish of the demo's menu (simulated-order.ts) takes at its station. */
export const DISH_MINUTES: Readonly<Record<string, number>> = {
  Margherita: 9,
  Carbonara: 11,
  'Caesar salad': 5,
  Tiramisu: 3,
  Lasagne: 14,
  Minestrone: 7,
  Risotto: 18,
};
/** A dish the menu does not list (posted by hand, say) takes this long. */
export const UNKNOWN_DISH_MINUTES = 10;
/** Plating each portion after the first. */
export const EXTRA_PORTION_MINUTES = 1;
/** Cooks sharing the orders ahead. */
export const COOKS = 2;

/** An order in the kitchen, as the estimate needs it. */
export interface QueuedOrder {
  items: readonly Item[];
  /** Being prepared (`order.preparing` seen): counted at half its time. */
  preparing: boolean;
}

export interface KitchenEstimate {
  minutes: number;
  cookMinutes: number;
  waitMinutes: number;
  ordersAhead: number;
  /** Dishes not on the menu, counted at `UNKNOWN_DISH_MINUTES`. */
  unknownDishes: string[];
}

const MENU = new Map(Object.entries(DISH_MINUTES).map(([dish, minutes]) => [dish.toLowerCase(), minutes]));

function dishMinutes(name: string): number | undefined {
  return MENU.get(name.trim().toLowerCase());
}

/** An order's own cooking time, in minutes; 0 for no items. */
export function cookMinutes(items: readonly Item[]): number {
  if (items.length === 0) return 0;
  const longest = Math.max(...items.map((item) => dishMinutes(item.name) ?? UNKNOWN_DISH_MINUTES));
  const portions = items.reduce((sum, item) => sum + item.qty, 0);
  return longest + Math.max(0, portions - 1) * EXTRA_PORTION_MINUTES;
}

/** The estimate of an order of `items` behind the orders `ahead`. */
export function estimateMinutes(items: readonly Item[], ahead: readonly QueuedOrder[]): KitchenEstimate {
  const work = ahead.reduce((sum, order) => sum + cookMinutes(order.items) * (order.preparing ? 0.5 : 1), 0);
  const waitMinutes = Math.ceil(work / COOKS);
  const own = cookMinutes(items);
  const unknownDishes = [...new Set(items.map((item) => item.name).filter((name) => dishMinutes(name) === undefined))];
  return { minutes: waitMinutes + own, cookMinutes: own, waitMinutes, ordersAhead: ahead.length, unknownDishes };
}
