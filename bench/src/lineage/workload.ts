/**
 * @module
 * The lineage benchmark's reads: a workflow of ten events over three channels, each
 * caused by the one before (`causedBy`), hidden among unrelated events in the same
 * channels; and the peer a user writes without the index, which scans the three
 * streams and keeps the entries whose metadata names the workflow's correlation.
 */

import { compareCursors, type PublishInput, type ReplayRail, type StoredEvent } from '@replayrail/core';
import { decodeEntry, ENTRY_FIELDS, encodeEvent } from '@replayrail/core/store';
import type { RedisStreamStore } from '@replayrail/store-redis';
import type { Redis } from 'ioredis';
import { measure, sampleEvent, sampleOrder } from '../common.js';

/** The workflow's event types, in the order each causes the next. */
const WORKFLOW_TYPES = [
  'order.created',
  'order.accepted',
  'payment.authorized',
  'ticket.printed',
  'order.cooking',
  'order.ready',
  'order.served',
  'bill.requested',
  'payment.captured',
  'order.closed',
] as const;
export const WORKFLOW_EVENTS = WORKFLOW_TYPES.length;
/** Events per order among the unrelated ones: each order is a correlation of its own. */
const EVENTS_PER_ORDER = 5;
/** Raw XADDs per pipeline. */
const BATCH = 1_000;
/** The scanning peer's page: `XRANGE … COUNT 1000`. */
export const SCAN_PAGE = 1_000;

/** The sample event under correlation `correlationId`. */
export function correlated(channel: string, order: number, correlationId: string): PublishInput {
  const event = sampleEvent(channel, order);
  return { ...event, metadata: { ...event.metadata, correlation_id: correlationId } };
}

/** Where a workflow is hidden, and what it is. */
export interface Workload {
  /** The unrelated events in its channels. */
  readonly unrelated: number;
  /** Of which published through the indexed rail (the rest are raw XADDs). */
  readonly indexedUnrelated: number;
  readonly channels: readonly string[];
  /** The streams' Redis keys, one per channel. */
  readonly keys: readonly string[];
  readonly correlationId: string;
  /** The workflow's event_ids, in the order they were published. */
  readonly eventIds: readonly string[];
}

export interface FillOptions {
  readonly client: Redis;
  readonly store: RedisStreamStore;
  /** A rail that indexes, and keeps its channels whole (no `maxStreamLength`). */
  readonly rail: ReplayRail;
  readonly prefix: string;
  /** Names the channels and the correlations. */
  readonly tag: string;
  readonly unrelated: number;
  /** How many of the unrelated events go through the rail, under correlations of their own. */
  readonly indexedUnrelated: number;
  readonly signal: AbortSignal;
}

/**
 * Writes `unrelated` events over three channels in eleven chunks and, after each of
 * the first ten, one event of the workflow (its channels in turn), each published
 * with the previous one as `causedBy`. In each chunk a share of the unrelated events
 * goes through the indexed rail (`rail.publish`, 64 in flight), the rest as raw
 * pipelined XADDs in the same entry layout (the rail's own encoding); they belong to
 * orders of five events, each order a correlation.
 */
export async function fillWorkload(options: FillOptions): Promise<Workload> {
  const { client, store, rail, prefix, tag, unrelated, indexedUnrelated, signal } = options;
  const channels = ['orders', 'kitchen', 'payments'].map((name) => `${tag}:${name}`);
  const keys = channels.map((channel) => store.streamKey({ prefix, channel }));
  const correlationId = `wf_${tag}`;
  const chunks = WORKFLOW_EVENTS + 1;
  const other = (n: number) => {
    const order = Math.floor(n / EVENTS_PER_ORDER);
    return correlated(channels[n % channels.length] as string, order, `req_${tag}_${order}`);
  };
  const eventIds: string[] = [];
  let cause: StoredEvent | undefined;
  let written = 0;
  for (let chunk = 0; chunk < chunks; chunk++) {
    const end = Math.round(((chunk + 1) * unrelated) / chunks);
    const indexed =
      Math.round(((chunk + 1) * indexedUnrelated) / chunks) - Math.round((chunk * indexedUnrelated) / chunks);
    const first = written;
    await measure(64, indexed, (i) => rail.publish(other(first + i)), signal);
    written += indexed;
    while (written < end) {
      signal.throwIfAborted();
      const pipeline = client.pipeline();
      for (const last = Math.min(end, written + BATCH); written < last; written++) {
        const input = other(written);
        const fields = encodeEvent(rail.prepareEvent(input), rail.config.limits);
        const key = keys[written % keys.length] as string;
        pipeline.xadd(key, '*', ...ENTRY_FIELDS.flatMap((name) => [name, fields[name]]));
      }
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    }
    if (chunk === WORKFLOW_EVENTS) break;
    const channel = channels[chunk % channels.length] as string;
    const input: PublishInput = {
      channel,
      type: WORKFLOW_TYPES[chunk] as string,
      payload: sampleOrder(chunk),
      actor: { type: 'waiter', id: 'usr_123' },
      // The first names the correlation; each after it inherits it from its cause.
      metadata: cause === undefined ? { correlation_id: correlationId, source: 'pos' } : { source: 'pos' },
    };
    cause = await rail.publish(cause === undefined ? input : { ...input, causedBy: cause });
    eventIds.push(cause.event_id);
  }
  let held = 0;
  for (const key of keys) held += await client.xlen(key);
  if (held !== unrelated + WORKFLOW_EVENTS) {
    throw new Error(`${tag}: the streams hold ${held} entries, expected ${unrelated + WORKFLOW_EVENTS}`);
  }
  return { unrelated, indexedUnrelated, channels, keys, correlationId, eventIds };
}

/** What the scanning peer found, and the pages it read. */
export interface Scan {
  readonly events: StoredEvent[];
  readonly pages: number;
}

/**
 * The lineage's events without the index: each stream read whole with `XRANGE …
 * COUNT 1000` pages (the three streams at once, as the rail reads its channels),
 * each entry's metadata parsed (`JSON.parse`) for its `correlation_id`, the entries
 * that match decoded into events (`decodeEntry`, as the rail decodes them), in
 * cursor order.
 */
export async function scanLineage(client: Redis, keys: readonly string[], correlationId: string): Promise<Scan> {
  let pages = 0;
  const perStream = await Promise.all(
    keys.map(async (key) => {
      const events: StoredEvent[] = [];
      let start = '-';
      for (;;) {
        const page = await client.xrange(key, start, '+', 'COUNT', SCAN_PAGE);
        pages++;
        for (const [id, raw] of page) {
          let metadata: string | undefined;
          for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i] === 'metadata') metadata = raw[i + 1];
          if (metadata === undefined) continue;
          const parsed = JSON.parse(metadata) as { correlation_id?: unknown } | null;
          if (parsed?.correlation_id !== correlationId) continue;
          const fields: Record<string, string> = {};
          for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i] as string] = raw[i + 1] as string;
          events.push(decodeEntry(id, fields));
        }
        const last = page.at(-1);
        if (last === undefined || page.length < SCAN_PAGE) break;
        start = `(${last[0]}`;
      }
      return events;
    }),
  );
  const events = perStream.flat().sort((a, b) => compareCursors(a.id, b.id) || a.channel.localeCompare(b.channel));
  return { events, pages };
}
