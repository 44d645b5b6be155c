/**
 * @module
 * The ticket printer's timings, in one place: their defaults, their environment
 * variables, and how those are read. The server reads them, the supervisor hands
 * them to a printer process, and the printer process reads them back, all here.
 */

import { envMilliseconds } from './env.js';

export interface PrinterTimings {
  /** How long printing one ticket takes, in ms. `PRINTER_PRINT_MS`. @default 1500 */
  printMs: number;
  /**
   * An order its printer has not touched this long (the printer died) is claimed by
   * another printer, in ms. `PRINTER_CLAIM_IDLE_MS`. @default 5000
   */
  claimIdleMs: number;
}

/**
 * Short, so a reclaim after a kill shows within seconds. A real kitchen would keep
 * core's `claimIdleMs` default of 30 s.
 */
export const DEFAULT_PRINTER_TIMINGS: PrinterTimings = { printMs: 1_500, claimIdleMs: 5_000 };

/** The timings from the environment, the defaults where unset; a bad value stops the process (env.ts). */
export function printerTimingsFromEnv(): PrinterTimings {
  return {
    printMs: envMilliseconds('PRINTER_PRINT_MS') ?? DEFAULT_PRINTER_TIMINGS.printMs,
    // 10: rail.consume's minimum.
    claimIdleMs: envMilliseconds('PRINTER_CLAIM_IDLE_MS', 10) ?? DEFAULT_PRINTER_TIMINGS.claimIdleMs,
  };
}

/** The environment that gives a printer process these timings (read back by `printerTimingsFromEnv`). */
export function printerTimingsEnv(timings: PrinterTimings): Record<string, string> {
  return { PRINTER_PRINT_MS: String(timings.printMs), PRINTER_CLAIM_IDLE_MS: String(timings.claimIdleMs) };
}
