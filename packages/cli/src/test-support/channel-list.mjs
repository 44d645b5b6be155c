// Channel policies as a module's default export (tests only); the second is not one the rail takes.
export default [
  { match: 'shop:*:carts', state: { key: 'cart_id' } },
  { match: 'shop:*:orders', state: { key: 42 } },
];
