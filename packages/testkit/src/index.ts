/**
 * @module
 * Test helpers shared by the ReplayRail packages (private, not published).
 */

import { execFileSync } from 'node:child_process';
import { describe, inject } from 'vitest';
import './provided.js';

export { admissionSuite } from './admission-suite.js';
export { describeWithChromium, launchChromium } from './chromium.js';
export { deleteKeysUnder } from './delete-keys.js';
export type { FoundRedis } from './find-redis.js';
export { findRedis, HOW_TO_ENABLE_REDIS } from './find-redis.js';
export { fuzzSuite } from './fuzz-suite.js';
export type { InputRow, InputTarget, TargetState } from './input-table.js';
export {
  checkInputTable,
  checkKeepAliveLockout,
  HTTP_INPUT_TABLE,
  inputTableSuite,
  SOCKET_INPUT_TABLE,
} from './input-table.js';
export type { RawAnswer, RawRequest } from './raw-http.js';
export { rawBytes, rawRequest, UPGRADE_HEADERS } from './raw-http.js';
export type { RedisCluster } from './redis-cluster.js';
export { startRedisCluster } from './redis-cluster.js';
export type { RedisServer } from './redis-server.js';
export { freePort, hasRedisServerBinary, startRedisServer, waitForRedis } from './redis-server.js';
export type { SnapshotProbe, SnapshotProbes, SnapshotReading } from './snapshot-suite.js';
export {
  applyEvents,
  checkReading,
  MARKER_TYPE,
  multiplexedSnapshotProbe,
  oneChannelSnapshotProbe,
  SNAPSHOT_CONFIG,
  snapshotSuite,
  splitSnapshot,
} from './snapshot-suite.js';
export type { TestSocket } from './socket-client.js';
export { connect } from './socket-client.js';
export type { RunningTransport, StartTransport, StoreFixture, SuiteTransportOptions } from './socket-suite.js';
export { redisStoreFixture, socketSuite, storeFixture, undecodableFields } from './socket-suite.js';
export type { StartOutcome, StartProbe, StartProbes } from './start-table.js';
export { multiplexedProbe, oneChannelProbe, START_TABLE, startTableSuite } from './start-table.js';
export type { TcpProxy } from './tcp-proxy.js';
export { uniquePrefix } from './unique-prefix.js';

/** The run's Redis URL (from the global setup), or null when Redis-backed tests skip. */
export function redisUrl(): string | null {
  return inject('redisUrl');
}

/**
 * `describe` for a suite that needs the run's Redis: skipped, with the reason in
 * its name, when there is none (the global setup fails the run instead when
 * REPLAYRAIL_REQUIRE_REDIS=1).
 */
export function describeWithRedis(name: string, body: (url: string) => void): void {
  const url = redisUrl();
  // Registered even without Redis, so its tests show up as skipped in the counts.
  describe.skipIf(url === null)(url === null ? `${name} (skipped: no Redis)` : name, () => body(url ?? ''));
}

function redisServerOnPath(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` for a suite that starts its own `redis-server` processes (fault,
 * failover and cluster tests): skipped when `redis-server` and `redis-cli` are not
 * on PATH, and a failure instead under REPLAYRAIL_REQUIRE_REDIS=1.
 */
export function describeWithRedisServer(name: string, body: () => void): void {
  const available = redisServerOnPath();
  if (!available && process.env.REPLAYRAIL_REQUIRE_REDIS === '1') {
    throw new Error(`${name}: REPLAYRAIL_REQUIRE_REDIS=1 but redis-server / redis-cli are not on PATH`);
  }
  describe.skipIf(!available)(available ? name : `${name} (skipped: no redis-server on PATH)`, body);
}
export { startTcpProxy } from './tcp-proxy.js';
