import { MemoryEventStore } from '@replayrail/store-memory';
import { inputTableSuite, storeFixture } from '@replayrail/testkit';
import { serverWs } from './test-support/server-ws-transport.js';

// The table of requests and their answers that the Hono adapter must match (issue #20).
inputTableSuite(
  'server-ws, memory store',
  serverWs,
  storeFixture(() => new MemoryEventStore()),
  { http: false },
);
