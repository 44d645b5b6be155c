import { MemoryEventStore } from '@replayrail/store-memory';
import { fuzzSuite, storeFixture } from '@replayrail/testkit';
import { honoTransportOn, NODE_HELPERS } from './test-support/node-app.js';
import { nodeServer2Transport } from './test-support/node-server-2.js';

// The fuzzing server-ws runs, on the adapter with each Node helper, over its HTTP,
// Server-Sent Events and WebSocket routes (issue #20).
for (const [name, helper] of Object.entries(NODE_HELPERS)) {
  fuzzSuite(
    `adapter-hono on ${name}, memory store`,
    honoTransportOn(helper),
    storeFixture(() => new MemoryEventStore()),
  );
}
fuzzSuite(
  'adapter-hono on @hono/node-server 2, memory store',
  nodeServer2Transport,
  storeFixture(() => new MemoryEventStore()),
);
