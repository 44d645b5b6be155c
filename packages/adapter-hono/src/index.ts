/**
 * @module
 * `@replayrail/adapter-hono`: ReplayRail's WebSocket, HTTP and Server-Sent Events
 * routes on Hono, for Node (with the WebSocket helper of `@replayrail/adapter-hono/node`,
 * or `@hono/node-ws`) and any runtime Hono runs on.
 */

// The catalog is core's (@replayrail/core/schema), here where apps write their routes.
export type { CatalogEvent, CatalogStoredEvent, EventCatalog } from '@replayrail/core/schema';
export { defineCatalog } from '@replayrail/core/schema';
export type { ErrorBody } from './error-response.js';
export type { FrameLimitHolder, ReplayRailRoutesOptions } from './options.js';
export type { ReplayRailRoutes } from './routes.js';
export { createReplayRailRoutes } from './routes.js';
