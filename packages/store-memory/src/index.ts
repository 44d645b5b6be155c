/**
 * @module
 * `@replayrail/store-memory`: an in-memory `EventStore` with Redis Streams
 * semantics, for tests, local development and the demo.
 */

export type { MemoryEventStoreOptions } from './memory-store.js';
export { MemoryEventStore } from './memory-store.js';
