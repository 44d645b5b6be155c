/**
 * The order of a ticket's life; the board shows each order at the furthest step it
 * reached. Its own module, free of zod, because the page bundles it.
 */
export const ORDER_STEPS = [
  'order.created',
  'order.confirmed',
  'order.preparing',
  'order.ready',
  'order.delivered',
] as const;
