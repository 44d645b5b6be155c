import { MemoryEventStore } from '@replayrail/store-memory';
import { admissionSuite, storeFixture } from '@replayrail/testkit';
import { honoTransportOn, NODE_HELPERS } from './test-support/node-app.js';
import { nodeServer2Transport } from './test-support/node-server-2.js';

// The suite server-ws runs, over @hono/node-server with each Node helper, and over
// @hono/node-server 2's own WebSocket support.
const memory = storeFixture(() => new MemoryEventStore());
for (const [name, helper] of Object.entries(NODE_HELPERS)) {
  admissionSuite(`adapter-hono on ${name}, memory store`, honoTransportOn(helper), memory);
}
admissionSuite('adapter-hono on @hono/node-server 2, memory store', nodeServer2Transport, memory);
