/**
 * @module
 * The demo's channel policies (docs/state.md): a restaurant's orders and kitchen
 * channels keep a day of history (`HISTORY_MAX_AGE_MS`), and beside it the latest
 * event of each order's each step, so a board opened after a weekend starts from
 * the snapshot and shows what a board that never closed shows.
 *
 * Keyed by order and type, not by order alone: a card shows what three events
 * said (the table and items of `order.created`, the furthest step, the ticket), and
 * on the kitchen channel a ticket printed after `order.ready` would otherwise hide
 * it. No tombstones: the board keeps delivered orders in its Delivered column.
 *
 * Every rail that publishes to these channels takes these policies (the server's,
 * and the printer's process on Redis): an event published without them would be
 * in the stream and missing from the state.
 */

import type { ChannelPolicy, NewEvent } from '@replayrail/core';
import { envInteger } from './env.js';

/** How long the channels keep their history: a day. */
export const DEFAULT_HISTORY_MAX_AGE_MS = 24 * 3_600_000;

/** `HISTORY_MAX_AGE_MS`: a second to a year, or undefined when unset. */
export function historyMaxAgeFromEnv(): number | undefined {
  return envInteger('HISTORY_MAX_AGE_MS', 1_000, 365 * 24 * 3_600_000, 'milliseconds');
}

/** An event's key in the state: `<order_id> <type>`, or none for an event without an order. */
export function orderStepKey(event: NewEvent): string | null {
  const orderId = event.payload.order_id;
  return typeof orderId === 'string' && orderId !== '' ? `${orderId} ${event.type}` : null;
}

/** The policies of the restaurants' channels, with `maxAgeMs` of history. */
export function demoChannelPolicies(maxAgeMs = DEFAULT_HISTORY_MAX_AGE_MS): ChannelPolicy[] {
  return ['orders', 'kitchen'].map((name) => ({
    match: `restaurant:*:${name}`,
    maxStreamAge: maxAgeMs,
    state: { key: orderStepKey },
  }));
}

/**
 * The policies as an app module exports them, for the CLI's `--config`
 * (`pnpm replayrail publish … --config apps/demo/dist/channel-policies.js`): a
 * publish from the command line then keeps the demo's state as the demo does.
 */
export const channels = demoChannelPolicies();
