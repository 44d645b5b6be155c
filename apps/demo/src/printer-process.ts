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
 * It answers `printer.status` calls from its own process (printer-contract.ts).
 */

import { envRestaurant } from './env.js';
import { logFailure, type PrinterActivity, startPrinter } from './printer.js';
import { printerTimingsFromEnv } from './printer-timings.js';
import type { ReadyMessage } from './process-supervisor.js';
import { openServiceRail, reportToDemo, stopWithDemo } from './service-process.js';

/** The name of a printer process's Redis connections (`CLIENT LIST`). */
const CONNECTION_NAME = 'replayrail-demo-printer';

/** What a printer process tells the demo over IPC. */
export type PrinterMessage = ReadyMessage | PrinterActivity;

// Every setting checked before anything is opened: a bad one stops the process at once (env.ts).
const name = process.env.PRINTER_NAME || `printer-${process.pid}`;
const restaurant = envRestaurant();
const timings = printerTimingsFromEnv();
const { rail, close } = openServiceRail('printer', CONNECTION_NAME);
const report = (message: PrinterMessage) => reportToDemo(name, message);

const printer = await startPrinter(rail, {
  restaurant,
  name,
  ...timings,
  onActivity: report,
  onError: logFailure(name),
});
report({ kind: 'ready', name });

stopWithDemo(async () => {
  await printer.stop();
  await close();
});
