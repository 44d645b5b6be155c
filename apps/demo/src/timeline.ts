/**
 * @module
 * An order's timeline: every retained event of the restaurant's channels whose
 * payload names the order, merged in cursor order, each with what an operator asks
 * of it (when, who, correlation and trace ID, the rest of its metadata).
 */

import type { ReplayRail, StoredEvent } from '@replayrail/core';
import { compareByCursor, type EventPlace } from './event-order.js';
import { traceIdOf } from './traceparent.js';

/** One event of the timeline. */
export interface TimelineEntry {
  /** The cursor, in its channel's stream. */
  id: string;
  channel: string;
  type: string;
  event_id: string;
  created_at: string;
  actor: StoredEvent['actor'];
  metadata: StoredEvent['metadata'];
  payload: StoredEvent['payload'];
  correlation_id: string | null;
  /** From `metadata.trace_context.traceparent`, when the event carries a valid one. */
  trace_id: string | null;
}

/**
 * Merges events of several channels into one list in cursor order (event-order.ts:
 * the order the store took them in, a tie going by channel name).
 */
export function mergeByCursor<Event extends EventPlace>(lists: readonly (readonly Event[])[]): Event[] {
  return lists.flat().sort(compareByCursor);
}

export function timelineEntry(event: StoredEvent): TimelineEntry {
  const correlation = event.metadata.correlation_id;
  return {
    id: event.id,
    channel: event.channel,
    type: event.type,
    event_id: event.event_id,
    created_at: event.created_at,
    actor: event.actor,
    metadata: event.metadata,
    payload: event.payload,
    correlation_id: typeof correlation === 'string' ? correlation : null,
    trace_id: traceIdOf(event.metadata),
  };
}

/**
 * The order's events in `channels`, read page by page from the first retained
 * event (a demo's streams are short: `maxStreamLength` 10,000), in cursor order.
 */
export async function orderTimeline(
  rail: ReplayRail,
  channels: readonly string[],
  orderId: string,
): Promise<TimelineEntry[]> {
  const lists = await Promise.all(
    channels.map(async (channel) => {
      const found: StoredEvent[] = [];
      for await (const event of rail.replayAll(channel, { pageSize: 1_000 })) {
        if (event.payload.order_id === orderId) found.push(event);
      }
      return found;
    }),
  );
  return mergeByCursor(lists).map(timelineEntry);
}

/**
 * The correlation an order's lineage is read under: the first one its events name,
 * in cursor order (its first step's, as a rule; an order posted without one may get
 * one from its first effect, a ticket caused by it). Null when none names one.
 */
export function orderCorrelation(events: readonly TimelineEntry[]): string | null {
  return events.find((event) => event.correlation_id !== null)?.correlation_id ?? null;
}
