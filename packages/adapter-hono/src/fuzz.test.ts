import { MemoryEventStore } from '@replayrail/store-memory';
import { fuzzSuite, storeFixture } from '@replayrail/testkit';
import { honoTransport } from './test-support/node-app.js';
import { nodeServer2Transport } from './test-support/node-server-2.js';

// The fuzzing server-ws runs, on the adapter with @hono/node-ws, over its HTTP,
// Server-Sent Events and WebSocket routes (issue #20).
fuzzSuite(
  'adapter-hono on @hono/node-ws, memory store',
  honoTransport,
  storeFixture(() => new MemoryEventStore()),
);
fuzzSuite(
  'adapter-hono on @hono/node-server 2, memory store',
  nodeServer2Transport,
  storeFixture(() => new MemoryEventStore()),
);
