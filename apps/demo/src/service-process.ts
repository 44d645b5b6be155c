/**
 * @module
 * What the demo's service processes (printer-process.ts, kitchen-process.ts) share:
 * a rail on the demo's Redis, traced and configured as the demo server's own; their
 * reports to the demo over IPC (or to stdout, run by hand); and a clean stop on
 * Ctrl-C, SIGTERM, or the IPC channel closing (the demo is gone, even killed: no
 * orphan process).
 */

import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { demoChannelPolicies, historyMaxAgeFromEnv } from './channel-policies.js';
import { startTelemetry } from './telemetry.js';

/** A rail on the demo's Redis, and how to close it with its telemetry. */
export interface ServiceRail {
  readonly rail: ReplayRail;
  close(): Promise<void>;
}

/**
 * `REDIS_URL` (required: a service process shares the demo's Redis),
 * `STREAM_PREFIX` and `HISTORY_MAX_AGE_MS`, as the demo server reads them.
 * Connections are named `connectionName` (`CLIENT LIST`).
 */
export function openServiceRail(service: string, connectionName: string): ServiceRail {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    console.error(`${service}: REDIS_URL is required (a ${service} process shares the demo’s Redis)`);
    process.exit(2);
  }
  const store = new RedisStreamStore({ client: new Redis(redisUrl, { connectionName }), closeClient: true });
  // Traced like the demo's own rail: what it publishes or answers joins its caller's trace.
  const telemetry = startTelemetry();
  const rail = new ReplayRail({
    store,
    telemetry: telemetry.telemetry,
    // As the demo server's rail: the same streams, the same retention, the same state
    // (the printer's tickets go into the kitchen channel's), the same lineage index
    // (a ticket and the printer's dead-lettered and redriven marks in its order's graph).
    config: {
      maxStreamLength: 10_000,
      channels: demoChannelPolicies(historyMaxAgeFromEnv()),
      lineage: { index: true },
      ...(process.env.STREAM_PREFIX && { streamPrefix: process.env.STREAM_PREFIX }),
    },
  });
  return {
    rail,
    async close() {
      await rail.close();
      await telemetry.shutdown();
    },
  };
}

/** Tells the demo (over IPC), or the terminal of one run by hand. */
export function reportToDemo(name: string, message: { kind: string }): void {
  if (process.send) process.send(message);
  else console.log(`${name}: ${JSON.stringify(message)}`);
}

/** Runs `stop` once on Ctrl-C, SIGTERM or the demo going away, then exits. */
export function stopWithDemo(stop: () => Promise<void>): void {
  let stopping = false;
  const once = () => {
    if (stopping) return;
    stopping = true;
    void stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, once);
  process.once('disconnect', once);
}
