/**
 * @module
 * One simulated order, as a waiter, the kitchen and a courier would publish it: its
 * five steps, each with its channel, payload, actor and the pause before it. The
 * simulator (simulator.ts) publishes them; every payload is one the catalog accepts.
 */

import type { DemoEvents } from './catalog.js';
import { kitchenChannel, ordersChannel } from './printer.js';

const DISHES = ['Margherita', 'Carbonara', 'Caesar salad', 'Tiramisu', 'Lasagne', 'Minestrone', 'Risotto'];
const STATIONS = ['grill', 'pasta', 'cold'];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const between = (min: number, max: number) => min + Math.random() * (max - min);
const integer = (min: number, max: number) => Math.floor(between(min, max + 1));

/** One step of an order: where it goes, what it says, who does it, and the pause before it. */
export interface OrderStep<Type extends keyof DemoEvents = keyof DemoEvents> {
  channel: string;
  type: Type;
  payload: DemoEvents[Type];
  actor: { type: string; id: string };
  pauseMs: number;
}

/**
 * The steps of order `orderId`, the `n`th of the simulator's run (which waiter
 * takes it, which courier delivers it): created and confirmed on the orders
 * channel, preparing and ready on the kitchen channel, delivered on the orders
 * channel. About four seconds from the first step to the last.
 */
export function simulatedOrder(restaurant: string, orderId: string, n: number): OrderStep[] {
  const orders = ordersChannel(restaurant);
  const kitchen = kitchenChannel(restaurant);
  const waiter = { type: 'waiter', id: `usr_${1 + (n % 3)}` };
  const chef = { type: 'chef', id: 'usr_chef' };
  const courier = { type: 'courier', id: `usr_courier_${n % 2}` };
  const items = Array.from({ length: integer(1, 3) }, () => ({ name: pick(DISHES), qty: integer(1, 2) }));
  return [
    {
      channel: orders,
      type: 'order.created',
      payload: { order_id: orderId, table: integer(1, 20), items },
      actor: waiter,
      pauseMs: 0,
    },
    {
      channel: orders,
      type: 'order.confirmed',
      payload: { order_id: orderId, eta_minutes: integer(15, 34), items },
      actor: waiter,
      pauseMs: between(500, 1_000),
    },
    {
      channel: kitchen,
      type: 'order.preparing',
      payload: { order_id: orderId, station: pick(STATIONS) },
      actor: chef,
      pauseMs: between(500, 1_300),
    },
    {
      channel: kitchen,
      type: 'order.ready',
      payload: { order_id: orderId },
      actor: chef,
      pauseMs: between(800, 1_800),
    },
    {
      channel: orders,
      type: 'order.delivered',
      payload: { order_id: orderId },
      actor: courier,
      pauseMs: between(500, 1_300),
    },
  ];
}
