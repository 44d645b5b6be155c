/**
 * The ticket printer as its own process, on Redis: what the demo server starts
 * (and kills) when it runs on Redis. It can be run by hand as well, as a second
 * printer of the same group:
 *
 *   REDIS_URL=redis://localhost:6379 PRINTER_NAME=printer-by-hand node apps/demo/dist/printer-process.js
 *
 * Environment: `REDIS_URL` (required), `STREAM_PREFIX` (`rr`), `RESTAURANT` (`123`),
 * `PRINTER_NAME` (`printer-<pid>`), `PRINTER_PRINT_MS` (1500), `PRINTER_CLAIM_IDLE_MS` (5000;
 * both in printer-timings.ts).
 * Started by the demo, it reports what it does over the IPC channel, and stops
 * when that channel closes (the demo is gone, even killed): no orphan printer.
 * Stops cleanly on SIGTERM or Ctrl-C: a ticket being printed is finished first.
 */

import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { envRestaurant } from './env.js';
import { logFailure, type PrinterActivity, startPrinter } from './printer.js';
import { printerTimingsFromEnv } from './printer-timings.js';
import { startTelemetry } from './telemetry.js';

/** The name of a printer process's Redis connections (`CLIENT LIST`). */
const CONNECTION_NAME = 'replayrail-demo-printer';

/** What a printer process tells the demo over IPC. */
export type PrinterMessage = { kind: 'ready'; name: string } | PrinterActivity;

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.error('printer: REDIS_URL is required (a printer process shares the demo’s Redis)');
  process.exit(2);
}
const name = process.env.PRINTER_NAME || `printer-${process.pid}`;
const restaurant = envRestaurant();
const timings = printerTimingsFromEnv();

const report = (message: PrinterMessage) => {
  if (process.send) process.send(message);
  else console.log(`${name}: ${JSON.stringify(message)}`);
};

const store = new RedisStreamStore({
  client: new Redis(redisUrl, { connectionName: CONNECTION_NAME }),
  closeClient: true,
});
// Traced like the demo's own rail: a ticket is published in the order's trace.
const telemetry = startTelemetry();
const rail = new ReplayRail({
  store,
  telemetry: telemetry.telemetry,
  // As the demo server's rail: the same streams, the same retention.
  config: { maxStreamLength: 10_000, ...(process.env.STREAM_PREFIX && { streamPrefix: process.env.STREAM_PREFIX }) },
});
const printer = await startPrinter(rail, {
  restaurant,
  name,
  ...timings,
  onActivity: report,
  onError: logFailure(name),
});
report({ kind: 'ready', name });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await printer.stop();
  await rail.close();
  await telemetry.shutdown();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
process.once('disconnect', () => void stop());
