/**
 * @module
 * `@replayrail/adapter-hono`: ReplayRail's WebSocket, HTTP and Server-Sent Events
 * routes on Hono, for Node (`@hono/node-ws`) and any runtime Hono runs on.
 */

export type { CatalogEvent, CatalogStoredEvent, EventCatalog } from './catalog.js';
export { defineCatalog } from './catalog.js';
export type { ErrorBody } from './error-response.js';
export type { FrameLimitHolder, ReplayRailRoutesOptions } from './options.js';
export type { ReplayRailRoutes } from './routes.js';
export { createReplayRailRoutes } from './routes.js';
