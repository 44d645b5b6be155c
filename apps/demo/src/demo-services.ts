/**
 * @module
 * The demo's services and the server's calls to them, started together and closed
 * together: the ticket printer and the kitchen (each its own process on Redis, in
 * the demo's on the memory store), and the one RPC client the server calls them
 * with (service-calls.ts).
 */

import type { ReplayRail } from '@replayrail/core';
import { type KitchenSupervisor, superviseKitchenInProcess, superviseKitchenProcess } from './kitchen-supervisor.js';
import { type PrinterSupervisor, superviseInProcess, superviseProcess } from './printer-supervisor.js';
import { DEFAULT_PRINTER_TIMINGS, type PrinterTimings } from './printer-timings.js';
import { DEFAULT_RPC_LIMITS, type RpcLimits } from './rpc-limits.js';
import { ServiceCalls } from './service-calls.js';

/** Timings not given are `DEFAULT_PRINTER_TIMINGS` (printer-timings.ts), not the environment's. */
export interface DemoPrinterOptions extends Partial<PrinterTimings> {
  /** On Redis, the built printer-process.js to run. @default the one beside this module (dist/) */
  script?: URL;
}

export interface DemoKitchenOptions {
  /** On Redis, the built kitchen-process.js to run. @default the one beside this module (dist/) */
  script?: URL;
}

export interface DemoServicesOptions {
  /** The restaurant whose confirmed orders the printer prints. */
  restaurant: string;
  /** Redis, where each service runs as its own process; without it, they run in this one. */
  redisUrl?: string;
  streamPrefix?: string;
  /** The channels' history, for the printer's process (channel-policies.ts). */
  historyMaxAgeMs?: number;
  printer?: false | DemoPrinterOptions;
  kitchen?: false | DemoKitchenOptions;
  rpc?: Partial<RpcLimits>;
}

export interface DemoServices {
  readonly printer?: PrinterSupervisor;
  readonly kitchen?: KitchenSupervisor;
  readonly calls: ServiceCalls;
  /** Stops the services, then the server's client (calls still waiting fail). */
  close(): Promise<void>;
}

/** Starts the services the options ask for, and the server's client. */
export async function startDemoServices(rail: ReplayRail, options: DemoServicesOptions): Promise<DemoServices> {
  const { redisUrl, streamPrefix, restaurant } = options;
  const where = { ...(streamPrefix && { streamPrefix }) };
  const limits = { ...DEFAULT_RPC_LIMITS, ...options.rpc };
  let printer: PrinterSupervisor | undefined;
  let kitchen: KitchenSupervisor | undefined;
  const closeServices = async () => {
    await printer?.close();
    await kitchen?.close();
  };
  try {
    if (options.printer !== false) {
      const { script, ...settings } = { restaurant, ...DEFAULT_PRINTER_TIMINGS, ...options.printer };
      const history = options.historyMaxAgeMs;
      printer = redisUrl
        ? superviseProcess({
            ...settings,
            redisUrl,
            ...where,
            ...(history !== undefined && { historyMaxAgeMs: history }),
            ...(script && { script }),
          })
        : superviseInProcess(rail, settings);
    }
    if (options.kitchen !== false) {
      const settings = { concurrency: limits.kitchenConcurrency };
      const script = options.kitchen?.script;
      kitchen = redisUrl
        ? superviseKitchenProcess({ ...settings, redisUrl, ...where, ...(script && { script }) })
        : await superviseKitchenInProcess(rail, settings);
    }
    const calls = await ServiceCalls.start(rail, limits);
    return {
      ...(printer && { printer }),
      ...(kitchen && { kitchen }),
      calls,
      async close() {
        await closeServices();
        await calls.stop();
      },
    };
  } catch (error) {
    // No service left running for a demo that never started.
    await closeServices();
    throw error;
  }
}
