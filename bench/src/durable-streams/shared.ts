/**
 * @module
 * The Durable Streams benchmark, shared by the driver and its child processes: the
 * two targets, the message every case writes (a ~200-byte order stamped with its
 * send time), the wall clock all processes stamp it with, and how a child reaches a
 * server's streams. Measures nothing itself.
 */

import { sampleOrder } from '../common.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * `ours`: `@replayrail/durable-streams` as its example server runs it
 * (packages/durable-streams/examples/server.mjs, ReplayRail on Redis); `reference`:
 * `@durable-streams/server`'s `DurableStreamTestServer` in memory mode.
 */
export type Target = 'ours' | 'reference';
export const TARGETS: readonly Target[] = ['ours', 'reference'];
export const NAMES: Record<Target, string> = { ours: 'ReplayRail', reference: 'reference' };

/** How long a long-poll (and an SSE wait between keep-alives) lasts, on both servers. */
export const LONG_POLL_MS = 3000;

/** A message of a case: its phase, its number in the phase, its send time and a ~200-byte order. */
export interface Message {
  readonly phase: string;
  readonly seq: number;
  /** Send time, ms since the epoch with µs (`now()`). */
  readonly t: number;
  readonly order: ReturnType<typeof sampleOrder>;
}

/** Wall-clock ms with µs, comparable across the processes of this machine. */
export const now = (): number => performance.timeOrigin + performance.now();

export const message = (phase: string, seq: number): Message => ({ phase, seq, t: now(), order: sampleOrder(seq) });

/** A stream's URL on a server. */
export const streamUrl = (base: string, path: string): string => `${base}/v1/stream/${encodeURIComponent(path)}`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
