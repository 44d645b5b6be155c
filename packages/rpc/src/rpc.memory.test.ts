import { MemoryEventStore } from '@replayrail/store-memory';
import { uniquePrefix } from '@replayrail/testkit';
import { rpcSuite } from './test-support/rpc-suite.js';

rpcSuite('MemoryEventStore', async () => ({
  store: new MemoryEventStore(),
  prefix: uniquePrefix(),
  dispose: async () => {},
}));
