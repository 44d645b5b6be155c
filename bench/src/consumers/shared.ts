/**
 * @module
 * What the consumer benchmark's driver and its worker processes agree on.
 */

/** The three ways of processing a channel that are compared. */
export type Contender = 'rail' | 'raw' | 'bullmq';

/** The job: nothing, or 1 ms of waiting (an I/O call). */
export type Job = 'noop' | 'sleep1';

/** A worker's `run` request: process `count` events waiting in `source` (a channel or a queue). */
export interface RunArgs {
  contender: Contender;
  source: string;
  group: string;
  count: number;
  concurrency: number;
  job: Job;
}

/** What a worker measured: wall time from start to the last event handled, and its own CPU time. */
export interface RunResult {
  ms: number;
  cpuUs: number;
  handled: number;
  /** Mean wall time of one job (a 1 ms sleep takes longer), in ms. */
  jobMs: number;
}

export interface SetupArgs {
  redisUrl: string;
  prefix: string;
}
