import { MemoryEventStore } from '@replayrail/store-memory';
import { admissionSuite, storeFixture } from '@replayrail/testkit';
import { honoTransport } from './test-support/node-app.js';
import { nodeServer2Transport } from './test-support/node-server-2.js';

// The suite server-ws runs, over @hono/node-server + @hono/node-ws, and over
// @hono/node-server 2's own WebSocket support.
const memory = storeFixture(() => new MemoryEventStore());
admissionSuite('adapter-hono on @hono/node-ws, memory store', honoTransport, memory);
admissionSuite('adapter-hono on @hono/node-server 2, memory store', nodeServer2Transport, memory);
