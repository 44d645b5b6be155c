/**
 * @module
 * `@replayrail/server-ws`: ReplayRail's WebSocket endpoints on `ws`.
 */

export type { WebSocketServerOptions } from './server.js';
export { ReplayRailWebSocketServer } from './server.js';
