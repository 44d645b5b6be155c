/**
 * @module
 * `PublishInput`: what `rail.publish` and `prepareEvent` take, and what a consumer's
 * handler publishes through its context (`context.publish`).
 */

import type { Cause } from './lineage/causation.js';
import type { TraceCarrier } from './telemetry/telemetry.js';
import type { DuplicatePolicy } from './types.js';

/** What `publish` and `prepareEvent` take. */
export interface PublishInput {
  channel: string;
  type: string;
  /**
   * A JSON object. NaN, cycles, `undefined`, Dates and Maps are rejected; a `bigint`
   * from −2^63 to 2^64 − 1 is stored as its exact integer (a Python `int`).
   */
  payload: object;
  /** Who caused the event, for audit; a JSON object or null. */
  actor?: object | null;
  /** Audit context such as a correlation ID; a JSON object. @default {} */
  metadata?: object;
  /**
   * Your own ID for this event. Passing one makes the publish idempotent: a retry
   * with the same content returns the first stored event and writes nothing.
   * @default a random uuid (no idempotency check, one write)
   */
  eventId?: string;
  /** When it happened; a Date or an ISO 8601 string. @default now */
  createdAt?: Date | string;
  /**
   * What a retry of `eventId` gets, for this call: the first stored event, or a
   * `DuplicateEventError` carrying it (`existing`), to tell a retry from a first publish.
   * @default config.duplicatePolicy
   */
  duplicatePolicy?: DuplicatePolicy;
  /**
   * The event this one is an effect of (docs/lineage.md): its correlation goes on
   * (`metadata.correlation_id`, the cause's own event_id when it has none) and it is
   * named as the cause (`metadata.causation_id`). Pass a stored event (with its
   * `channel` and `id`) and a lineage can show it even when it is not in the
   * correlation. Metadata naming another correlation or cause is refused.
   */
  causedBy?: Cause;
  /**
   * The trace this publish continues (W3C `traceparent` and `tracestate`, as an
   * HTTP request brought them), with `telemetry`; without it, the active context.
   */
  trace?: TraceCarrier;
}
