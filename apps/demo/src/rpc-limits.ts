/**
 * @module
 * The limits of the demo's calls between services (the board's server calling the
 * kitchen and the printer), in one place: their defaults, their environment
 * variables, and how those are read. The server reads them, hands the kitchen's to
 * a kitchen process, and the kitchen process reads them back, all here.
 */

import { envInteger } from './env.js';

export interface RpcLimits {
  /**
   * How long the server waits for a service's answer before it gives up (a 504 for
   * an estimate), in ms. `RPC_TIMEOUT_MS`. @default 2000
   */
  timeoutMs: number;
  /** Estimates one kitchen process computes at once. `KITCHEN_CONCURRENCY`. @default 4 */
  kitchenConcurrency: number;
  /** The latest calls of each method the latency figures (p50, p99) are taken over. `RPC_LATENCY_WINDOW`. @default 1000 */
  latencyWindow: number;
}

/**
 * An estimate reads an hour of two channels and answers in milliseconds: 2 s is
 * long enough for a busy Redis, short enough for a card not to wait on a dead kitchen.
 */
export const DEFAULT_RPC_LIMITS: RpcLimits = { timeoutMs: 2_000, kitchenConcurrency: 4, latencyWindow: 1_000 };

/** The limits from the environment, the defaults where unset; a bad value stops the process (env.ts). */
export function rpcLimitsFromEnv(): RpcLimits {
  return {
    timeoutMs: envInteger('RPC_TIMEOUT_MS', 10, 60_000, 'milliseconds') ?? DEFAULT_RPC_LIMITS.timeoutMs,
    kitchenConcurrency: envInteger('KITCHEN_CONCURRENCY', 1, 64) ?? DEFAULT_RPC_LIMITS.kitchenConcurrency,
    latencyWindow: envInteger('RPC_LATENCY_WINDOW', 10, 100_000) ?? DEFAULT_RPC_LIMITS.latencyWindow,
  };
}

/** The environment that gives a kitchen process the demo's concurrency (read back by `rpcLimitsFromEnv`). */
export function kitchenConcurrencyEnv(concurrency: number): Record<string, string> {
  return { KITCHEN_CONCURRENCY: String(concurrency) };
}
