import { MemoryEventStore } from '@replayrail/store-memory';
import { admissionSuite, storeFixture } from '@replayrail/testkit';
import { serverWs } from './test-support/server-ws-transport.js';

admissionSuite(
  'server-ws, memory store',
  serverWs,
  storeFixture(() => new MemoryEventStore()),
);
