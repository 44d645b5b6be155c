/**
 * @module
 * `@replayrail/store-redis`: the ReplayRail `EventStore` on Redis Streams, on
 * your own ioredis or node-redis client (standalone or cluster).
 */

export type { RedisStreamStoreOptions } from './redis-store.js';
export { RedisStreamStore } from './redis-store.js';
export type { StreamDescription } from './stream-description.js';
