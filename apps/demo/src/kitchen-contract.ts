/**
 * @module
 * The kitchen's contract (`@replayrail/rpc`): what the board's server may ask the
 * kitchen, checked with zod on both sides. One method:
 *
 * - `kitchen.estimate({ restaurant, orderId, items })`: how many minutes until the
 *   order is ready, from its items and the orders the kitchen is already working on
 *   (kitchen-estimate.ts has the model). An order with no items cannot be estimated:
 *   the kitchen answers an `RpcError` with code `KITCHEN_ERRORS.noItems` (-32000) and
 *   `data: { orderId, reason: 'no_items' }`.
 *
 * The kitchen runs in its own process on Redis (kitchen-process.ts), in the demo's
 * on the memory store (kitchen.ts serves it).
 */

import { defineContract, defineMethod } from '@replayrail/rpc';
import { z } from 'zod';

/** The kitchen's own error codes (JSON-RPC leaves -32000 to -32099 to the server). */
export const KITCHEN_ERRORS = {
  /** The order has no items: there is nothing to cook, so nothing to estimate. */
  noItems: -32000,
} as const;

// As the catalog's: an order ID, a restaurant (one segment of a channel name), a dish.
const item = z.object({ name: z.string().min(1).max(80), qty: z.number().int().positive() });

export const estimateParams = z.object({
  restaurant: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  orderId: z.string().min(1).max(64),
  // Empty is valid here, so the kitchen itself answers it with its own error.
  items: z.array(item).max(50),
});

export const estimateResult = z.object({
  orderId: z.string(),
  /** Minutes from now until the order is ready: `waitMinutes + cookMinutes`. */
  minutes: z.number().int().nonnegative(),
  /** The order's own cooking time, from its items. */
  cookMinutes: z.number().int().nonnegative(),
  /** The wait for the orders ahead of it, shared among the cooks. */
  waitMinutes: z.number().int().nonnegative(),
  /** Orders in the kitchen (confirmed, not ready) before this one. */
  ordersAhead: z.number().int().nonnegative(),
  /** When it should be ready (ISO 8601). */
  readyAt: z.string(),
  /** Dishes the kitchen has no time for, counted at its default. */
  unknownDishes: z.array(z.string()),
  /** The kitchen process that answered (`kitchen-<pid>`). */
  estimatedBy: z.string(),
});

export type EstimateParams = z.input<typeof estimateParams>;
/** The params as the kitchen's handler gets them (checked). */
export type EstimateRequest = z.output<typeof estimateParams>;
export type Estimate = z.output<typeof estimateResult>;

export const kitchenContract = defineContract('kitchen', {
  estimate: defineMethod({ params: estimateParams, result: estimateResult }),
});
