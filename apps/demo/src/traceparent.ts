/**
 * @module
 * What the demo adds to core's W3C `traceparent` code: the trace ID an event's
 * `metadata.trace_context.traceparent` carries (the timeline's), and a new trace per
 * order with a span per step (the simulator's). Parsing and formatting are core's
 * (see core's README, "Traces"). The page bundles this module, so it imports only
 * core's browser-safe, zod-free `@replayrail/core/trace-context`.
 */

import { formatTraceparent, parseTraceparent } from '@replayrail/core/trace-context';

/** The trace ID an event's metadata carries, or null. */
export function traceIdOf(metadata: Readonly<Record<string, unknown>>): string | null {
  const context = metadata.trace_context;
  if (typeof context !== 'object' || context === null) return null;
  return parseTraceparent((context as Record<string, unknown>).traceparent)?.traceId ?? null;
}

function randomHex(bytes: number): string {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A random trace ID: one trace per order. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A traceparent in `traceId`'s trace with a span ID of its own, sampled. */
export function newTraceparent(traceId: string): string {
  return formatTraceparent({ traceId, spanId: randomHex(8), traceFlags: 0x01 });
}
