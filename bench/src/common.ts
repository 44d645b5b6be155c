/**
 * @module
 * Helpers the benchmarks share: statistics, report tables, the sample order and
 * event, a timed publish loop, and cleanup of the keys a run created.
 */

import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { PublishInput } from '@replayrail/core';
import type { Redis } from 'ioredis';
import { alignTables } from './markdown-tables.js';

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** An order of about 200 bytes of JSON, numbered `n`. */
export function sampleOrder(n: number) {
  return {
    order_id: `ord_${String(n).padStart(8, '0')}`,
    restaurant_id: 'rst_123',
    table: 12,
    items: [
      { sku: 'pizza-margherita', qty: 2, unit_price: 1150 },
      { sku: 'sparkling-water', qty: 3, unit_price: 250 },
    ],
    total: 3050,
    currency: 'EUR',
  };
}

/** An order event with a ~200-byte payload, an actor and metadata. */
export function sampleEvent(channel: string, n: number): PublishInput {
  return {
    channel,
    type: 'order.created',
    payload: sampleOrder(n),
    actor: { type: 'waiter', id: 'usr_123' },
    metadata: { correlation_id: 'req_abc123', source: 'pos' },
  };
}

/**
 * Runs `total` calls of `op` with `concurrency` in flight, then `finish` (still on
 * the clock); returns events/s and this process's CPU time per event in µs. The CPU
 * figure is what the client library spends per event; unlike events/s it hardly
 * moves with other load on the machine.
 */
export async function measure(
  concurrency: number,
  total: number,
  op: (n: number) => Promise<unknown>,
  signal: AbortSignal,
  finish: () => Promise<void> = async () => {},
): Promise<{ rate: number; cpu: number }> {
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < total) {
      signal.throwIfAborted();
      await op(issued++);
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  await finish();
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: total / ((performance.now() - started) / 1000), cpu: (cpu.user + cpu.system) / total };
}

/** A count for a report: rounded, with thousands separators. */
export const int = (value: number): string => Math.round(value).toLocaleString('en-US');

/** Min / median / max of a figure over rounds, each formatted. */
export const figures = (values: readonly number[], format: (value: number) => string): string =>
  `${format(Math.min(...values))} / ${format(median(values))} / ${format(Math.max(...values))}`;

/** Per-round ratios as "min / median / max"; `—` when there are none or one is not a number. */

export function spread(ratios: readonly number[]): string {
  if (ratios.length === 0 || ratios.some((value) => !Number.isFinite(value))) return '—';
  const sorted = [...ratios].sort((a, b) => a - b);
  return `${(sorted[0] as number).toFixed(2)} / ${median(sorted).toFixed(2)} / ${(sorted.at(-1) as number).toFixed(2)}`;
}

/** A Markdown table with padded columns (as Biome formats it); all but the first two are right-aligned. */
export function table(header: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${header.map((_, i) => cells[i] ?? '').join(' | ')} |`;
  const rule = line(header.map((_, i) => (i < 2 ? '---' : '---:')));
  return alignTables([line(header), rule, ...rows.map(line)].join('\n')).split('\n');
}

/** Deletes every key under `<prefix>:`; returns how many. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** The short commit the benchmark ran at, or `?` outside a git checkout. */
export function gitCommit(): string {
  try {
    const cwd = fileURLToPath(new URL('.', import.meta.url));
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd }).toString().trim();
  } catch {
    return '?';
  }
}

/** The server's own CPU time so far (user + system), in µs; it includes whatever else the server did. */
export async function redisCpu(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/** Writes a benchmark's report to bench/results/`name`, the file its README links, its tables padded as the linter wants. */
export async function writeResults(name: string, text: string): Promise<void> {
  const dir = new URL('../results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL(name, dir), alignTables(text));
}
