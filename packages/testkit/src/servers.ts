/**
 * @module
 * Redis servers and clusters on loopback ports, without vitest: for the benchmarks,
 * which run as plain Node programs (`@replayrail/testkit/servers`).
 */

export type { RedisCluster } from './redis-cluster.js';
export { startRedisCluster } from './redis-cluster.js';
export type { RedisServer } from './redis-server.js';
export { freePort, startRedisServer, waitForRedis } from './redis-server.js';
export type { TcpProxy } from './tcp-proxy.js';
export { startTcpProxy } from './tcp-proxy.js';
