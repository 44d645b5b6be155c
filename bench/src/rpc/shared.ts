/**
 * @module
 * What the RPC benchmark's driver and its processes agree on: the two ways of
 * making a call, the contract the rail's way serves, and what a run measured.
 */

import { defineContract, defineMethod } from '@replayrail/rpc';
import { z } from 'zod';

/** `rail`: `@replayrail/rpc`'s client and server; `raw`: the loop one writes with ioredis alone. */
export type Contender = 'rail' | 'raw';

/** The job both do: add two numbers (the transport's cost is what is measured). */
export const benchContract = defineContract('bench', {
  add: defineMethod({
    params: z.object({ a: z.number(), b: z.number() }),
    result: z.object({ sum: z.number() }),
  }),
});

export interface SetupArgs {
  redisUrl: string;
  prefix: string;
  contender: Contender;
}

/** A client's `run`: `count` calls, `inFlight` at a time. */
export interface RunArgs {
  count: number;
  inFlight: number;
}

/** What a client measured: wall time, its own CPU time, and each call's round trip (sorted, ms). */
export interface RunResult {
  ms: number;
  cpuUs: number;
  latencies: number[];
}
