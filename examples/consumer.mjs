// The core README's durable consumer: a kitchen printer processing a channel at least
// once, on the in-memory store (Redis: the same code with a RedisStreamStore).
import { ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';

const rail = new ReplayRail({ store: new MemoryEventStore() });
const printed = [];

const printer = rail.consume({
  channel: 'restaurant:123:orders',
  group: 'kitchen-printer',
  from: 'earliest',
  concurrency: 4,
  // Events of one order are handled one at a time, in order.
  orderingKey: (event) => event.payload.order_id,
  maxDeliveries: 3,
  backoff: { initialMs: 10 },
  handler: async (event, { attempt }) => {
    if (event.payload.order_id === 'ord_bad') throw new Error(`printer jammed (attempt ${attempt})`);
    printed.push(`${event.type} ${event.payload.order_id}`);
  },
  onError: (error) => console.error(error.message),
});
await printer.start();

await rail.publish({ channel: 'restaurant:123:orders', type: 'order.confirmed', payload: { order_id: 'ord_1' } });
await rail.publish({ channel: 'restaurant:123:orders', type: 'order.ready', payload: { order_id: 'ord_1' } });
await rail.publish({ channel: 'restaurant:123:orders', type: 'order.confirmed', payload: { order_id: 'ord_bad' } });

// Wait until the poison event is dead (3 attempts, 10 then 20 ms apart), then stop.
while ((await rail.group('restaurant:123:orders', 'kitchen-printer').info()).deadLetters === 0) {
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await printer.stop({ graceMs: 5_000 });

console.log(printed.join(', '));
const [dead] = await rail.group('restaurant:123:orders', 'kitchen-printer').deadLetters();
console.log(`dead: ${dead.event.payload.order_id} after ${dead.attempts} attempts (${dead.errorMessage})`);
await rail.close();
