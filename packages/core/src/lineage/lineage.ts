/**
 * @module
 * A correlation's lineage (docs/lineage.md): its events across channels, in cursor
 * order, and which caused which, built from what the store's index holds. Edges go
 * by `metadata.causation_id` (the cause's `event_id`); a cause the lineage does not
 * hold keeps its edge, marked dangling with the reason.
 */

import { compareCursors } from '../cursor.js';
import type { EventLocation, LineageMark, LineageRecord } from '../store/lineage-store.js';
import type { StoredEvent } from '../types.js';
import { causationOf } from './causation.js';

/** One event of a lineage. */
export interface LineageNode {
  readonly event: StoredEvent;
  /**
   * How the lineage knows it: from the correlation's index, or only as the cause of
   * one of its events (published without the correlation: a workflow's root).
   */
  readonly via: 'index' | 'cause';
  /** What happened to it on its way (dead-lettered, redriven), in time order. */
  readonly marks: readonly LineageMark[];
}

/** "`effect` was caused by `cause`", by event_id. */
export interface LineageEdge {
  readonly cause: string;
  readonly effect: string;
  /**
   * Set when the lineage does not hold the cause: `'trimmed'` (its channel no longer
   * holds it), `'unknown'` (no event the index knows has that event_id: written by
   * another library, or past the index's retention).
   */
  readonly dangling?: 'trimmed' | 'unknown';
  /** Where a trimmed cause was, when its publisher handed it over (`causedBy`). */
  readonly causeAt?: EventLocation;
}

/** One correlation's events and the edges between them. */
export interface Lineage {
  readonly correlationId: string;
  /**
   * In cursor order (events of two channels with the same cursor go by channel
   * name), except that an event always comes after its cause.
   */
  readonly nodes: readonly LineageNode[];
  readonly edges: readonly LineageEdge[];
  /** True when the correlation has more events than the `limit` asked for: the newest were left out. */
  readonly truncated: boolean;
}

/** Events in cursor order; two channels' events of one cursor by channel name. */
export function compareEvents(a: StoredEvent, b: StoredEvent): number {
  return compareCursors(a.id, b.id) || (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0);
}

const locationKey = (location: EventLocation) => `${location.channel} ${location.id}`;

/**
 * The lineage of `correlationId` from its index records, at most `limit` events;
 * `fetchCauses` gets the events at the locations of causes outside the index.
 */
export async function buildLineage(
  correlationId: string,
  records: readonly LineageRecord[],
  limit: number,
  fetchCauses: (locations: readonly EventLocation[]) => Promise<(StoredEvent | null)[]>,
): Promise<Lineage> {
  const indexed = new Map<string, StoredEvent>();
  const marks = new Map<string, LineageMark[]>();
  const causeOf = new Map<string, EventLocation>(); // effect event_id → where its cause was
  const trimmedAt = new Set<string>(); // locations whose event is gone
  for (const record of records) {
    const key = locationKey(record);
    if (record.kind === 'mark') {
      const list = marks.get(key) ?? [];
      list.push(record.mark);
      marks.set(key, list);
    } else if (record.event === null) {
      trimmedAt.add(key);
    } else {
      indexed.set(record.event.event_id, record.event);
      if (record.cause !== null) causeOf.set(record.event.event_id, record.cause);
    }
  }
  const sorted = [...indexed.values()].sort(compareEvents);
  const kept = sorted.slice(0, limit);
  const byId = new Map(kept.map((event) => [event.event_id, event]));
  // Causes handed over with `causedBy` but not indexed (a root without the
  // correlation): read where they are.
  const outside = new Map<string, EventLocation>();
  for (const event of kept) {
    const causeId = causationOf(event);
    const at = causeOf.get(event.event_id);
    if (causeId === undefined || at === undefined || byId.has(causeId) || indexed.has(causeId)) continue;
    if (!trimmedAt.has(locationKey(at))) outside.set(locationKey(at), at);
  }
  const fetched = outside.size === 0 ? [] : await fetchCauses([...outside.values()]);
  const causes: StoredEvent[] = [];
  [...outside.values()].forEach((at, index) => {
    const event = fetched[index];
    if (event === null || event === undefined) trimmedAt.add(locationKey(at));
    else if (!byId.has(event.event_id)) causes.push(event);
  });
  for (const cause of causes) byId.set(cause.event_id, cause);

  const nodes = causesFirst(
    [
      ...kept.map((event) => ({ event, via: 'index' as const, marks: marksOf(marks, event) })),
      ...causes.map((event) => ({ event, via: 'cause' as const, marks: marksOf(marks, event) })),
    ].sort((a, b) => compareEvents(a.event, b.event)),
  );
  const edges: LineageEdge[] = [];
  for (const event of kept) {
    const causeId = causationOf(event);
    if (causeId === undefined) continue;
    if (byId.has(causeId)) {
      edges.push({ cause: causeId, effect: event.event_id });
      continue;
    }
    const at = causeOf.get(event.event_id);
    if (at !== undefined && trimmedAt.has(locationKey(at))) {
      edges.push({ cause: causeId, effect: event.event_id, dangling: 'trimmed', causeAt: at });
    } else if (!indexed.has(causeId)) {
      edges.push({ cause: causeId, effect: event.event_id, dangling: 'unknown' });
    }
    // Otherwise the cause is past `limit` (a cause later than its effect): no edge.
  }
  return { correlationId, nodes, edges, truncated: sorted.length > kept.length };
}

// Nodes in cursor order, but each after its cause: two channels' events of one
// millisecond have no order between them (nor do clocks of two servers), and an
// effect shown before its cause would read backwards.
function causesFirst(sorted: readonly LineageNode[]): LineageNode[] {
  const at = new Map(sorted.map((node, index) => [node.event.event_id, index]));
  const placed = new Set<number>();
  const out: LineageNode[] = [];
  const place = (index: number): void => {
    if (placed.has(index)) return;
    placed.add(index); // before its cause: a cycle of causes written by hand ends here
    const node = sorted[index] as LineageNode;
    const cause = at.get(causationOf(node.event) ?? '');
    if (cause !== undefined) place(cause);
    out.push(node);
  };
  for (let index = 0; index < sorted.length; index++) place(index);
  return out;
}

function marksOf(marks: ReadonlyMap<string, LineageMark[]>, event: StoredEvent): LineageMark[] {
  return (marks.get(locationKey(event)) ?? []).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
