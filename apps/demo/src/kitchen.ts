/**
 * @module
 * The kitchen service: serves `kitchen.estimate` (kitchen-contract.ts) on a rail, as
 * one process of the `kitchen` service's worker pool (`RpcServer`). Each call reads
 * the restaurant's orders under way from its channels (kitchen-queue.ts) and answers
 * the model's estimate (kitchen-estimate.ts). Runs in the demo's process on the
 * memory store, and as its own process on Redis (kitchen-process.ts).
 */

import type { ReplayRail, ReplayRailError } from '@replayrail/core';
import { RpcError, RpcServer } from '@replayrail/rpc';
import { type Estimate, type EstimateRequest, KITCHEN_ERRORS, kitchenContract } from './kitchen-contract.js';
import { estimateMinutes } from './kitchen-estimate.js';
import { ordersAhead, ordersInKitchen } from './kitchen-queue.js';

export interface KitchenOptions {
  /** Its name in the `kitchen` group, and what an estimate's `estimatedBy` says. */
  name: string;
  /** Estimates computed at once. */
  concurrency: number;
  onError?: (error: ReplayRailError) => void;
}

/** A running kitchen. */
export interface Kitchen {
  readonly name: string;
  /** Stops taking calls; the ones under way get `graceMs` to be answered. */
  stop(graceMs?: number): Promise<void>;
}

/** The estimate of one order, now. */
export async function estimateOrder(rail: ReplayRail, name: string, params: EstimateRequest): Promise<Estimate> {
  const { restaurant, orderId, items } = params;
  if (items.length === 0) {
    throw new RpcError(KITCHEN_ERRORS.noItems, `order ${orderId} has no items: nothing to cook`, {
      orderId,
      reason: 'no_items',
    });
  }
  const now = Date.now();
  const ahead = ordersAhead(await ordersInKitchen(rail, restaurant, now), orderId);
  const estimate = estimateMinutes(items, ahead);
  return { orderId, ...estimate, readyAt: new Date(now + estimate.minutes * 60_000).toISOString(), estimatedBy: name };
}

/**
 * Starts serving `kitchen.estimate` on the rail.
 *
 * @example
 * const kitchen = await startKitchen(rail, { name: `kitchen-${process.pid}`, concurrency: 4 });
 * // on shutdown:
 * await kitchen.stop();
 */
export async function startKitchen(rail: ReplayRail, options: KitchenOptions): Promise<Kitchen> {
  const { name } = options;
  const server = new RpcServer({ rail, instanceId: name, ...(options.onError && { onError: options.onError }) });
  // Estimates only read: they can run side by side, in any order.
  const handlers = { estimate: (params: EstimateRequest) => estimateOrder(rail, name, params) };
  server.serve(kitchenContract, handlers, { concurrency: options.concurrency });
  await server.start();
  return { name, stop: (graceMs = 5_000) => server.stop({ graceMs }) };
}
