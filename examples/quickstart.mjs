// The README's quickstart: publish and replay on the in-memory store.
// Run it with `make quickstart` (after a build, the packages resolve to dist/).
import { ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';

const rail = new ReplayRail({ store: new MemoryEventStore(), config: { maxStreamLength: 10_000 } });

const created = await rail.publish({
  channel: 'restaurant:123:orders',
  type: 'order.created',
  payload: { order_id: 'ord_123' },
  actor: { type: 'waiter', id: 'usr_123' },
  metadata: { correlation_id: 'req_abc123' },
});
await rail.publish({ channel: 'restaurant:123:orders', type: 'order.ready', payload: { order_id: 'ord_123' } });

// A client that processed `created` reconnects with its cursor and gets what it missed.
const { events, next } = await rail.replay('restaurant:123:orders', { after: created.id });
console.log(
  `missed since ${created.id}:`,
  events.map((event) => `${event.id} ${event.type}`),
);
console.log('resume from:', next);

await rail.close();
