/**
 * @module
 * `@replayrail/durable-streams`: the Durable Streams HTTP protocol on ReplayRail, as
 * Hono routes over a rail's store (`store.durableStreams`), and the rail's channels
 * as read-only JSON streams.
 */

export { decodeOffset, encodeOffset, START_OFFSET } from './offsets.js';
export type { DurableStreamsOptions } from './options.js';
export type { DurableStreamsRoutes } from './routes.js';
export { durableStreams } from './routes.js';
export type { CursorClock } from './stream-cursor.js';
