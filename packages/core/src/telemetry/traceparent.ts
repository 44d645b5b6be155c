/**
 * @module
 * The W3C Trace Context `traceparent` value (https://www.w3.org/TR/trace-context/):
 * `<version>-<trace id>-<parent id>-<flags>`, lowercase hex. Parsed by hand so an
 * event's context reads the same whatever propagator an application registered,
 * and so a Python service reads what we wrote with its standard propagator.
 */

/** The parts of a `traceparent`. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
// A header is short; anything longer is not one (and is not worth a regex run).
const MAX_LENGTH = 512;

/** The parts of a valid `traceparent`, or undefined for anything else. */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // Version ff is invalid; version 00 has exactly four parts (later versions may add more).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) };
}

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${(parent.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
