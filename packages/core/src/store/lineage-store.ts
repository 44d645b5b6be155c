/**
 * @module
 * `LineageStore`: the small index per correlation that lets `rail.lineage` read one
 * workflow without scanning streams (docs/lineage.md). The append that stores an
 * event whose `metadata.correlation_id` is set adds it to its correlation's index in
 * the same step; a consumer adds a mark when it dead-letters such an event, or
 * handles it again after a redrive.
 */

import type { Cursor, StoredEvent } from '../types.js';
import type { StreamRef } from './stream-ref.js';

/** Where an event is: its channel and its cursor there. */
export interface EventLocation {
  readonly channel: string;
  readonly id: Cursor;
}

/** How long an index entry lives and how many a correlation keeps per channel. */
export interface LineageRetention {
  /** Ms the channel's index of the correlation lives after its last entry; null: no expiry. */
  readonly ttlMs: number | null;
  /** Most entries one correlation keeps per channel; the oldest leave first. */
  readonly maxEntries: number;
}

/** What an append adds to its correlation's index. */
export interface LineageIndexing extends LineageRetention {
  readonly correlationId: string;
  /**
   * Where the event's cause is, when the publisher handed over the cause itself
   * (`causedBy`): lets the lineage show a cause that is not in the correlation (a
   * root published without one), or say it was trimmed.
   */
  readonly cause: EventLocation | null;
}

/** Something that happened to an event on its way: a consumer group dead-lettered it, or handled it again after a redrive. */
export interface LineageMark {
  readonly kind: 'dead-lettered' | 'redriven';
  readonly group: string;
  /** When, as an ISO 8601 time. */
  readonly at: string;
  /** Why it was dead-lettered (at most 200 characters). */
  readonly reason?: string;
}

/** One entry of a correlation's index, with the event it names. */
export type LineageRecord =
  | {
      readonly kind: 'event';
      readonly channel: string;
      readonly id: Cursor;
      /** The event, or null when its channel no longer holds it (trimmed). */
      readonly event: StoredEvent | null;
      readonly cause: EventLocation | null;
    }
  | { readonly kind: 'mark'; readonly channel: string; readonly id: Cursor; readonly mark: LineageMark };

/** The lineage index of a store. */
export interface LineageStore {
  /**
   * Every entry of a correlation's index, in every channel it reached, each with the
   * event it names: work that grows with the correlation's entries, not with its
   * channels' streams.
   */
  read(prefix: string, correlationId: string): Promise<LineageRecord[]>;
  /** The events at these locations (under `prefix`), null for each one no longer held. */
  events(prefix: string, locations: readonly EventLocation[]): Promise<(StoredEvent | null)[]>;
  /**
   * Adds events already in `stream` to their correlation's index, each unless the
   * index holds it: for events appended around the rail (the Python library, a raw
   * `XADD`), which no append indexed. The index keeps cursor order (and its newest
   * `maxEntries`); resolves to how many it added.
   */
  index(stream: StreamRef, correlationId: string, ids: readonly Cursor[], retention: LineageRetention): Promise<number>;
  /** Adds a mark on the event `id` of `stream` to its correlation's index. */
  mark(
    stream: StreamRef,
    correlationId: string,
    id: Cursor,
    mark: LineageMark,
    retention: LineageRetention,
  ): Promise<void>;
}
