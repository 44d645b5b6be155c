/**
 * @module
 * The board's call to the kitchen:
 *
 * - `GET /orders/:orderId/estimate?restaurant=` (the demo's restaurant by default)
 *   finds the order's items in the restaurant's orders channel and asks the kitchen
 *   (`kitchen.estimate`, within `RPC_TIMEOUT_MS`): 200 `{ order_id, restaurant,
 *   estimate }` (rpc-api.ts); 404 `order_not_found` for an order the channel does
 *   not have; 422 `rpc_error` when the kitchen refuses it (an order with no items:
 *   `rpc_code` -32000, `data.reason` `no_items`); 504 `rpc_timeout` when the kitchen
 *   does not answer in time; 502 when the call fails otherwise (call-errors.ts); a 400
 *   naming the field for a bad order ID or restaurant (route-input.ts).
 */

import type { ReplayRail } from '@replayrail/core';
import { Hono } from 'hono';
import { z } from 'zod';
import { callErrorAnswer } from './call-errors.js';
import { findOrderItems } from './order-items.js';
import { ordersChannel } from './printer.js';
import { answerError, check, restaurantSchema } from './route-input.js';
import type { EstimateView } from './rpc-api.js';
import type { ServiceCalls } from './service-calls.js';

export interface EstimateRoutesOptions {
  rail: ReplayRail;
  calls: ServiceCalls;
  /** Whose orders a request without `?restaurant=` means. */
  restaurant: string;
}

// As the catalog's order_id.
const orderId = z.string().min(1).max(64);

/** The estimate route, to mount at `/`. */
export function createEstimateRoutes(options: EstimateRoutesOptions): Hono {
  const { rail, calls } = options;
  const app = new Hono();

  app.get('/orders/:orderId/estimate', async (c) => {
    const id = check(orderId, c.req.param('orderId'), 'orderId');
    const restaurant = check(restaurantSchema, c.req.query('restaurant') ?? options.restaurant, 'restaurant');
    const items = await findOrderItems(rail, ordersChannel(restaurant), id);
    if (items === undefined) {
      const message = `restaurant ${restaurant} has no order ${id}`;
      return c.json({ error: { code: 'order_not_found', message } }, 404);
    }
    try {
      const estimate = await calls.estimate({ restaurant, orderId: id, items });
      return c.json({ order_id: id, restaurant, estimate } satisfies EstimateView);
    } catch (error) {
      const answer = callErrorAnswer(error, 'kitchen.estimate');
      if (answer === undefined) throw error;
      return c.json(answer.body, answer.status);
    }
  });

  app.onError(answerError);
  return app;
}
