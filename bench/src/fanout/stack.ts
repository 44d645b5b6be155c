/**
 * @module
 * A fanout stack, for the drivers that run one (the fanout and the telemetry
 * benchmarks): one target's server, publisher and subscriber processes, forked from
 * server.js, publisher.js and subscriber.js; a measured phase of publishing to its
 * subscribers; and the end of a run (every child killed, the run's keys deleted).
 */

import * as hdr from 'hdr-histogram-js';
import type { Redis } from 'ioredis';
import { deleteKeys } from '../common.js';
import { Child, children } from '../ipc.js';
import { type StackOptions, sleep } from './shared.js';

export interface Stack {
  options: StackOptions;
  server: Child;
  publisher: Child | undefined;
  subscribers: Child[];
  port: number;
}

export async function startStack(
  options: StackOptions,
  subscriberProcesses: number,
  withPublisher: boolean,
): Promise<Stack> {
  const server = new Child(`${options.name} server`, new URL('./server.js', import.meta.url));
  const publisher = withPublisher
    ? new Child(`${options.name} publisher`, new URL('./publisher.js', import.meta.url))
    : undefined;
  const subscribers = Array.from(
    { length: subscriberProcesses },
    (_, i) => new Child(`${options.name} subscribers ${i + 1}`, new URL('./subscriber.js', import.meta.url)),
  );
  const { port } = await server.request<{ port: number }>('start', options);
  await publisher?.request('start', options);
  return { options, server, publisher, subscribers, port };
}

export async function stopStack(stack: Stack): Promise<void> {
  await Promise.allSettled(stack.subscribers.map((child) => child.request('stop', null, 10_000)));
  await Promise.allSettled([
    stack.server.request('stop', null, 10_000),
    stack.publisher?.request('stop', null, 10_000),
  ]);
  await Promise.all([stack.server, stack.publisher, ...stack.subscribers].map((child) => child?.end()));
}

/** `total` split as evenly as possible into `parts`. */
export const split = (total: number, parts: number): number[] =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

export const connectArgs = (stack: Stack, count: number) => ({
  target: stack.options.target,
  port: stack.port,
  name: stack.options.name,
  count,
});

/** Opens `total` subscriber sockets, shared out over the stack's subscriber processes. */
export async function connectSubscribers(stack: Stack, total: number, timeoutMs: number): Promise<void> {
  const shares = split(total, stack.subscribers.length);
  await Promise.all(
    stack.subscribers.map((child, i) => child.request('connect', connectArgs(stack, shares[i] ?? 0), timeoutMs)),
  );
}

/** What one subscriber process counted in a phase. */
export interface Collected {
  delivered: number;
  stray: number;
  outOfOrder: number;
  dropped: number;
  lastAt: number;
  frameBytes: number;
  histogram: string;
}

export interface PhaseResult {
  delivered: number;
  expected: number;
  rate: number;
  cpuPerMessage: number;
  histogram: hdr.Histogram;
  outOfOrder: number;
  stray: number;
}

/**
 * Publishes `count` events (`rate` per second, or all at once when 0) to the stack's
 * `subscribers` sockets, waits until they have them all, and measures the server's
 * CPU time over it.
 */
export async function runPhase(
  stack: Stack,
  key: string,
  rate: number,
  count: number,
  subscribers: number,
): Promise<PhaseResult> {
  const { server, publisher } = stack;
  if (publisher === undefined) throw new Error('this stack has no publisher');
  const phase = `${stack.options.name}-${key}`;
  await Promise.all(stack.subscribers.map((child) => child.request('phase', phase)));
  await server.request('cpu-start');
  const sent = await publisher.request<{ firstAt: number }>(
    'run',
    { phase, count, rate },
    (rate > 0 ? (count / rate) * 1000 : 0) + 60_000,
  );
  // Wait until every subscriber has every event, 3 s pass without progress, or 30 s.
  const expected = count * subscribers;
  const drainStarted = Date.now();
  let total = 0;
  let progressAt = Date.now();
  while (total < expected && Date.now() - progressAt < 3_000 && Date.now() - drainStarted < 30_000) {
    await sleep(200);
    const counts = await Promise.all(stack.subscribers.map((child) => child.request<number>('count')));
    const sum = counts.reduce((a, b) => a + b, 0);
    if (sum > total) {
      total = sum;
      progressAt = Date.now();
    }
  }
  const cpu = await server.request<number>('cpu-stop');
  const parts = await Promise.all(stack.subscribers.map((child) => child.request<Collected>('collect')));
  const histogram = hdr.build();
  for (const part of parts) histogram.add(hdr.decodeFromCompressedBase64(part.histogram));
  const delivered = parts.reduce((sum, part) => sum + part.delivered, 0);
  const lastAt = Math.max(...parts.map((part) => part.lastAt));
  return {
    delivered,
    expected,
    rate: delivered / ((lastAt - sent.firstAt) / 1000),
    cpuPerMessage: cpu / delivered,
    histogram,
    outOfOrder: parts.reduce((sum, part) => sum + part.outOfOrder, 0),
    stray: parts.reduce((sum, part) => sum + part.stray, 0),
  };
}

/**
 * The end of a run: kills every child, deletes the keys under `prefix` and says how
 * many of the run's Redis connections (client names `<prefix>-…`, but the driver's
 * own `<prefix>-driver`) are still open.
 */
export async function cleanUp(redis: Redis, prefix: string): Promise<void> {
  for (const child of children) child.kill();
  await sleep(300);
  try {
    const deleted = await deleteKeys(redis, prefix);
    console.error(`deleted ${deleted} keys under ${prefix}:*`);
    const left = String(await redis.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => line.includes(` name=${prefix}-`) && !line.includes(` name=${prefix}-driver `)).length;
    console.error(`Redis connections of this run still open: ${left}`);
  } catch (error) {
    console.error('cleanup failed:', error);
  }
}

/** What `runToTheEnd` runs: the benchmark, on the driver's Redis connection. */
export interface DriverRun {
  readonly redis: Redis;
  readonly prefix: string;
  /** Past it, the run is stopped (exit 1). */
  readonly timeLimitMs: number;
  /** Called first when the run stops early or ends (to abort what is under way). */
  readonly onStop?: () => void;
  readonly main: () => Promise<void>;
}

/**
 * Runs a driver's `main` and always ends the same way, whether it finished, threw, hit
 * its time limit or got Ctrl-C / SIGTERM: `cleanUp`, the driver's connection closed,
 * and the process exits (0, 1, 130 or 143).
 */
export async function runToTheEnd(run: DriverRun): Promise<never> {
  let finished = false;
  const shutdown = async (code: number): Promise<never> => {
    if (finished) return new Promise<never>(() => {});
    finished = true;
    run.onStop?.();
    await cleanUp(run.redis, run.prefix);
    await run.redis.quit().catch(() => {});
    process.exit(code);
  };
  const limit = setTimeout(() => {
    console.error(`time limit of ${run.timeLimitMs / 1000} s reached, stopping`);
    void shutdown(1);
  }, run.timeLimitMs);
  process.once('SIGINT', () => void shutdown(130));
  process.once('SIGTERM', () => void shutdown(143));
  process.on('exit', () => {
    for (const child of children) child.kill();
  });
  let exitCode = 0;
  try {
    await run.main();
  } catch (error) {
    console.error(error);
    exitCode = 1;
  } finally {
    clearTimeout(limit);
  }
  return shutdown(exitCode);
}
