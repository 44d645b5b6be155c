/**
 * The kitchen service as its own process, on Redis: what the demo server starts
 * when it runs on Redis (kitchen-supervisor.ts). It can be run by hand as well, as
 * a second process of the same service: the two share the calls.
 *
 *   REDIS_URL=redis://localhost:6379 node apps/demo/dist/kitchen-process.js
 *
 * Environment: `REDIS_URL` (required), `STREAM_PREFIX` (`rr`), `KITCHEN_NAME`
 * (`kitchen-<pid>`: its consumer in the `kitchen` group, and what an estimate's
 * `estimatedBy` says), `KITCHEN_CONCURRENCY` (4, in rpc-limits.ts).
 * Started by the demo, it says it is ready over the IPC channel, and stops when
 * that channel closes (the demo is gone, even killed). Stops cleanly on SIGTERM or
 * Ctrl-C: the estimates under way are answered first.
 */

import { startKitchen } from './kitchen.js';
import { logFailure } from './printer.js';
import type { ReadyMessage } from './process-supervisor.js';
import { rpcLimitsFromEnv } from './rpc-limits.js';
import { openServiceRail, reportToDemo, stopWithDemo } from './service-process.js';

/** The name of a kitchen process's Redis connections (`CLIENT LIST`). */
const CONNECTION_NAME = 'replayrail-demo-kitchen';

// Every setting checked before anything is opened: a bad one stops the process at once (env.ts).
const name = process.env.KITCHEN_NAME || `kitchen-${process.pid}`;
const { kitchenConcurrency } = rpcLimitsFromEnv();
const { rail, close } = openServiceRail('kitchen', CONNECTION_NAME);

const kitchen = await startKitchen(rail, { name, concurrency: kitchenConcurrency, onError: logFailure(name) });
const ready: ReadyMessage = { kind: 'ready', name };
reportToDemo(name, ready);

stopWithDemo(async () => {
  await kitchen.stop();
  await close();
});
