/**
 * @module
 * The traffic simulator's limits, in one place: their defaults, their environment
 * variables, and how those are read. They keep a run bounded whoever presses the
 * button, and however often.
 */

import { envInteger, envMilliseconds } from './env.js';

export interface SimulatorLimits {
  /** Orders under way at once; the next waits for one to be delivered. `SIMULATOR_MAX_IN_FLIGHT`. @default 5 */
  maxInFlight: number;
  /**
   * How long a run starts new orders, in ms; then the orders under way finish and
   * the run ends by itself. `SIMULATOR_DURATION_MS`. @default 20000
   */
  durationMs: number;
}

/** A couple of dozen orders a run: enough to watch, few enough to read. */
export const DEFAULT_SIMULATOR_LIMITS: SimulatorLimits = { maxInFlight: 5, durationMs: 20_000 };

/** The limits from the environment, the defaults where unset; a bad value stops the process (env.ts). */
export function simulatorLimitsFromEnv(): SimulatorLimits {
  return {
    maxInFlight: envInteger('SIMULATOR_MAX_IN_FLIGHT', 1, 50) ?? DEFAULT_SIMULATOR_LIMITS.maxInFlight,
    durationMs: envMilliseconds('SIMULATOR_DURATION_MS', 1_000) ?? DEFAULT_SIMULATOR_LIMITS.durationMs,
  };
}
