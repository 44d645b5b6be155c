/**
 * @module
 * `@replayrail/client`: the reconnecting ReplayRail client for browsers (and Node,
 * Bun, Deno, React Native): many channels over one WebSocket, cursors persisted,
 * every event once, in order, across drops, deploys and reloads.
 */

export type { BackoffOptions } from './backoff.js';
export { backoffDelay } from './backoff.js';
export type { ClientOptions, WebSocketConstructor, WebSocketLike } from './client.js';
export { createClient, ReplayRailClient } from './client.js';
export type { CursorStorage } from './storage.js';
export { localStorageCursors, memoryStorage } from './storage.js';
export type { ExpiredMode, NamedStart, StartFrom, SubscribeOptions } from './subscription.js';
export { ClientSubscription } from './subscription.js';
export type { ClientError, ClientEvent, ClientState, EventOf, ExpiredInfo, SubscriptionState } from './types.js';
