/**
 * The demo's entry point: `PORT` (8000), `REDIS_URL` (unset: the memory store),
 * `STREAM_PREFIX`, `RESTAURANT` (123: whose orders the ticket printer prints),
 * `PRINTER_PRINT_MS` and `PRINTER_CLAIM_IDLE_MS` (the printer's timings, in
 * printer-timings.ts), `PRINTER=off` (no printer: for a second demo server on the
 * same Redis, whose printer would take the first one's consumer names),
 * `SIMULATOR_MAX_IN_FLIGHT` and `SIMULATOR_DURATION_MS` (the traffic simulator's
 * limits, in simulator-limits.ts), `KITCHEN=off` (no kitchen service: every estimate
 * times out), `RPC_TIMEOUT_MS`, `KITCHEN_CONCURRENCY` and `RPC_LATENCY_WINDOW` (the
 * calls' limits, in rpc-limits.ts), `HISTORY_MAX_AGE_MS` (a day: how long the
 * restaurants' channels keep their history, in channel-policies.ts). Stops cleanly
 * on Ctrl-C or SIGTERM.
 */

import { startDemo } from './app.js';
import { historyMaxAgeFromEnv } from './channel-policies.js';
import { envRestaurant } from './env.js';
import { printerTimingsFromEnv } from './printer-timings.js';
import { rpcLimitsFromEnv } from './rpc-limits.js';
import { simulatorLimitsFromEnv } from './simulator-limits.js';

const port = Number(process.env.PORT ?? 8000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be a port number, got ${process.env.PORT}`);
  process.exit(2);
}

const historyMaxAgeMs = historyMaxAgeFromEnv();
const demo = await startDemo({
  restaurant: envRestaurant(),
  printer: process.env.PRINTER === 'off' ? false : printerTimingsFromEnv(),
  simulator: simulatorLimitsFromEnv(),
  kitchen: process.env.KITCHEN === 'off' ? false : {},
  rpc: rpcLimitsFromEnv(),
  ...(historyMaxAgeMs !== undefined && { historyMaxAgeMs }),
  port,
  ...(process.env.REDIS_URL && { redisUrl: process.env.REDIS_URL }),
  ...(process.env.STREAM_PREFIX && { streamPrefix: process.env.STREAM_PREFIX }),
});
console.log(`ReplayRail demo: http://localhost:${demo.port} (${demo.store} store)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void demo.close().then(() => process.exit(0));
  });
}
