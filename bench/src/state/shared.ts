/**
 * @module
 * What the state benchmark's driver and its memory probes share: the keyed
 * channels' policy and the messages between them.
 */

import type { ChannelPolicy } from '@replayrail/core';
import type { Reader } from './readers.js';

/** Every channel under `keyed:` keeps the latest event of each order (sampleOrder's `order_id`). */
export const KEYED_POLICY: ChannelPolicy = {
  match: 'keyed:*',
  state: { key: 'order_id', tombstones: ['order.deleted'] },
};

export interface ProbeSetup {
  readonly redisUrl: string;
  readonly prefix: string;
}

export interface MemoryArgs {
  readonly channel: string;
  readonly reader: Reader;
  readonly pageSize: number;
  /** Only the first read (no live-heap pass): for a probe whose heap is capped. */
  readonly once?: boolean;
}

/** One memory measurement, in bytes over the probe's baseline. */
export interface MemoryResult {
  readonly keys: number;
  /** Pages sampled in the second read. */
  readonly pages: number;
  /** The highest `heapUsed` sampled at a page, garbage included. */
  readonly heap: number;
  /** The highest RSS sampled at a page. */
  readonly rss: number;
  /** The highest `heapUsed` right after a `gc()` at a page: what the reader holds (0 with `once`). */
  readonly live: number;
}
