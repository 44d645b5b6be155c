/**
 * @module
 * Helpers both benchmarks use: statistics, number formats, the sample order, and
 * cleanup of the keys a run created.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

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
