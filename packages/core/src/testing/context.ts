import { afterEach, beforeEach } from 'vitest';
import type { ReplayRailConfig } from '../config.js';
import { parseCursor } from '../cursor.js';
import { ReplayRail } from '../rail.js';
import type { StreamRef } from '../store/stream-ref.js';
import type { StoredEvent } from '../types.js';
import type { StoreHarness, StoreHarnessFactory } from './harness.js';

/** What each conformance test works with. */
export interface ConformanceContext {
  readonly harness: StoreHarness;
  readonly prefix: string;
  /** A ReplayRail on the harness's store, with the test's prefix and these overrides. */
  rail(config?: ReplayRailConfig): ReplayRail;
  /** The store-level name of a channel under the test's prefix. */
  stream(channel: string): StreamRef;
  /** Publishes `count` events `{ n: 0 … count-1 }` of type `test.event`, one after another. */
  publishMany(rail: ReplayRail, channel: string, count: number): Promise<StoredEvent[]>;
  /** Every retained event of a channel, paging from 0-0. */
  all(rail: ReplayRail, channel: string): Promise<StoredEvent[]>;
}

let counter = 0;

/**
 * Registers beforeEach/afterEach hooks that give every test a fresh harness with a
 * unique key prefix, and close and clean it afterwards. Returns a getter.
 */
export function useConformanceContext(factory: StoreHarnessFactory): () => ConformanceContext {
  let current: ConformanceContext | undefined;

  beforeEach(async () => {
    counter += 1;
    const prefix = `rrtest-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${counter}`;
    const harness = await factory(prefix);
    current = {
      harness,
      prefix,
      rail(config = {}) {
        return new ReplayRail({ store: harness.store, config: { streamPrefix: prefix, ...config } });
      },
      stream: (channel) => ({ prefix, channel }),
      async publishMany(rail, channel, count) {
        const events: StoredEvent[] = [];
        for (let n = 0; n < count; n++) {
          events.push(await rail.publish({ channel, type: 'test.event', payload: { n } }));
        }
        return events;
      },
      async all(rail, channel) {
        const events: StoredEvent[] = [];
        for await (const event of rail.replayAll(channel, { after: '0-0', pageSize: 50 })) events.push(event);
        return events;
      },
    };
  });

  afterEach(async () => {
    const context = current;
    current = undefined;
    if (context === undefined) return;
    await context.harness.store.close();
    await context.harness.cleanup?.();
  });

  return () => {
    if (current === undefined) throw new Error('the conformance context is only available inside a test');
    return current;
  };
}

/** Waits until the wall clock is past the millisecond of `event.id`, so the next ID has a later ms. */
export async function nextMillisecond(event: StoredEvent): Promise<void> {
  const ms = Number(parseCursor(event.id).ms);
  while (Date.now() <= ms + 1) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** The IDs of events, for compact assertions. */
export function ids(events: readonly StoredEvent[]): string[] {
  return events.map((event) => event.id);
}
