import { MemoryEventStore } from '@replayrail/store-memory';
import { inputTableSuite, storeFixture } from '@replayrail/testkit';
import { honoTransportOn, NODE_HELPERS } from './test-support/node-app.js';
import { nodeServer2Transport } from './test-support/node-server-2.js';

// Hostile input gets server-ws's answers on every Node stack the adapter runs on
// (issue #20): a keep-alive connection of non-upgrades holds nothing, paths are
// taken as sent. Where @hono/node-server answers before any route, the table run
// expects the runtime's own answer.
for (const [name, helper] of Object.entries(NODE_HELPERS)) {
  inputTableSuite(
    `adapter-hono on ${name}, memory store`,
    honoTransportOn(helper),
    storeFixture(() => new MemoryEventStore()),
    {
      http: true,
      runtimeAnswers: { 'GET /events/x\\y (a page)': '400' },
    },
  );
}
inputTableSuite(
  'adapter-hono on @hono/node-server 2, memory store',
  nodeServer2Transport,
  storeFixture(() => new MemoryEventStore()),
  {
    http: true,
    runtimeAnswers: {
      'GET /ws/x\\y': '400',
      'GET /events/x\\y (a page)': '400',
      'GET /ws/ok, Upgrade: h2c': 'no answer',
    },
  },
);
