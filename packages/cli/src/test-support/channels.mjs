// An application's rail config, as `state --config` loads it (tests only): a key
// function, a tombstone, a policy without a state matched first, and a retention
// the CLI must not apply.
export const config = {
  streamPrefix: 'app',
  channels: [
    { match: 'restaurant:*:tables', maxStreamLength: 5 },
    {
      match: 'restaurant:*:orders',
      maxStreamLength: 1,
      state: { key: (event) => event.payload.order_id ?? null, tombstones: ['order.deleted'] },
    },
  ],
};
