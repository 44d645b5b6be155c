/**
 * @module
 * `@replayrail/core/testing`: the conformance suite every `EventStore` must pass,
 * memory and Redis alike, open to third-party stores. It registers vitest tests;
 * call it at the top level of a test file.
 *
 * @example
 * import { describeEventStore } from '@replayrail/core/testing';
 * import { MemoryEventStore } from '@replayrail/store-memory';
 *
 * describeEventStore('MemoryEventStore', async () => {
 *   const store = new MemoryEventStore();
 *   return {
 *     store,
 *     deleteEntries: async (stream, ids) => void store.deleteEntries(stream, ids),
 *     deleteStream: async (stream) => void store.deleteStream(stream),
 *     trim: async (stream, maxLength) => void store.trim(stream, maxLength),
 *     appendRaw: async (stream, fields) => store.appendRaw(stream, fields),
 *   };
 * });
 */

import { describe } from 'vitest';
import { badInputTests } from './bad-input.js';
import { blockingReadTests } from './blocking-read.js';
import { consumerTests } from './consumer.js';
import { useConformanceContext } from './context.js';
import { durableStreamTests } from './durable-streams.js';
import { foreignEntryTests } from './foreign-entries.js';
import { groupTests } from './groups.js';
import type { StoreHarnessFactory } from './harness.js';
import { idempotencyTests } from './idempotency.js';
import { lineageTests } from './lineage.js';
import { propertyTests } from './properties.js';
import { publishReplayTests } from './publish-replay.js';
import { rawStreamTests } from './raw-streams.js';
import { retentionTests } from './retention.js';
import { stateTests } from './state.js';

export type { ConformanceContext } from './context.js';
/** A durable stream's create and fork requests as the conformance suite makes them, for a store's own tests. */
export { createOf as durableCreateOf, forkOf as durableForkOf } from './durable-fixtures.js';
export type { StoreHarness, StoreHarnessFactory } from './harness.js';
export type { StateTestOptions } from './state.js';
export { checkHandOff, KeyedView, keyedPolicy } from './state.js';

/** Options of `describeEventStore`. */
export interface ConformanceOptions {
  /** Runs of each fast-check property; lower it for slow stores. @default 40 */
  propertyRuns?: number;
  /** Whether the store implements consumer groups (`GroupStore`) and is checked for them. @default true */
  consumerGroups?: boolean;
  /** Whether the store has raw streams (`store.raw`) and is checked for them. @default true */
  rawStreams?: boolean;
  /** Whether the store keeps channel state (`store.state`) and is checked for it. @default true */
  channelState?: boolean;
  /** Whether the store keeps a lineage index (`store.lineage`) and is checked for it. @default true */
  lineage?: boolean;
  /**
   * Whether the store's durable streams (`store.durableStreams`) are checked. Each of
   * their tests is skipped when the store has none. @default true
   */
  durableStreams?: boolean;
  /** A fixed seed for the state hand-off property (the same interleavings on every run). @default random */
  stateSeed?: number;
}

/**
 * Registers the EventStore conformance suite (docs/architecture.md, "Where each is tested"): publish and replay,
 * paging, ordering under concurrency, blocking reads, trimming and exact expiry,
 * idempotency, decoding of entries in the Python layout and of entries no reader
 * can decode, bigints, bad input, close, the
 * lineage index, durable streams, and fast-check properties. `createHarness` is called before every test with a
 * fresh, unique key prefix.
 */
export function describeEventStore(
  name: string,
  createHarness: StoreHarnessFactory,
  options: ConformanceOptions = {},
): void {
  describe(`EventStore conformance: ${name}`, () => {
    const ctx = useConformanceContext(createHarness);
    publishReplayTests(ctx);
    blockingReadTests(ctx);
    retentionTests(ctx);
    idempotencyTests(ctx);
    badInputTests(ctx);
    foreignEntryTests(ctx);
    if (options.consumerGroups !== false) {
      groupTests(ctx);
      consumerTests(ctx);
    }
    if (options.rawStreams !== false) rawStreamTests(ctx);
    if (options.channelState !== false) {
      stateTests(ctx, {
        propertyRuns: options.propertyRuns ?? 40,
        ...(options.stateSeed !== undefined && { seed: options.stateSeed }),
      });
    }
    if (options.lineage !== false) {
      lineageTests(ctx, { consumerGroups: options.consumerGroups !== false, propertyRuns: options.propertyRuns ?? 40 });
    }
    if (options.durableStreams !== false) durableStreamTests(ctx, { propertyRuns: options.propertyRuns ?? 40 });
    propertyTests(ctx, options.propertyRuns ?? 40);
  });
}
