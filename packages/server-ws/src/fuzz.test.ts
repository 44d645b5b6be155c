import { MemoryEventStore } from '@replayrail/store-memory';
import { fuzzSuite, storeFixture } from '@replayrail/testkit';
import { serverWs } from './test-support/server-ws-transport.js';

// Seeded fuzzing of both endpoints (the Hono adapter runs the same suite): hostile
// requests, broken framing and arbitrary frames; no fault, nothing held, and a
// bystander keeps every event.
fuzzSuite(
  'server-ws, memory store',
  serverWs,
  storeFixture(() => new MemoryEventStore()),
);
