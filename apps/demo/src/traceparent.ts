/**
 * @module
 * W3C Trace Context `traceparent` values (`00-<32 hex trace id>-<16 hex span id>-<2
 * hex flags>`), as events carry them in `metadata.trace_context.traceparent`
 * (DESIGN §10): read the trace ID for the timeline, start a trace for an order
 * (the simulator), continue it in a step of its own (the printer). Free of Node and
 * zod: the page bundles it.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface Traceparent {
  traceId: string;
  spanId: string;
  flags: string;
}

/** The parts of a valid traceparent, or null (version `ff` and all-zero IDs are invalid per the spec). */
export function parseTraceparent(value: unknown): Traceparent | null {
  if (typeof value !== 'string') return null;
  const match = TRACEPARENT.exec(value);
  if (match === null) return null;
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, flags };
}

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
  return `00-${traceId}-${randomHex(8)}-01`;
}
