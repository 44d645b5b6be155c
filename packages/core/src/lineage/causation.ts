/**
 * @module
 * The causation convention (docs/lineage.md), the one event-sourcing practice and
 * the Python library's examples use: `metadata.correlation_id` names the workflow an
 * event belongs to, `metadata.causation_id` the `event_id` of the event that caused
 * it. An event published as the effect of another (`causedBy`) inherits the cause's
 * correlation (or starts one named by the cause's event_id) and names its cause.
 */

import { InvalidRequestError } from '../errors.js';
import type { Cursor, JsonObject } from '../types.js';

/** An event that causes another: any event as read (`StoredEvent`), or as prepared (`NewEvent`). */
export interface Cause {
  readonly event_id: string;
  readonly metadata: JsonObject;
  /** With `id`, where it is stored: lets a lineage show it even outside the correlation. */
  readonly channel?: string;
  readonly id?: Cursor;
}

/** The metadata field naming an event's workflow. */
export const CORRELATION_ID = 'correlation_id';
/** The metadata field naming the event_id of an event's cause. */
export const CAUSATION_ID = 'causation_id';

function textField(metadata: unknown, field: string): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const value = (metadata as Record<string, unknown>)[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An event's correlation ID, if its metadata names one (a non-empty string). */
export function correlationOf(event: { readonly metadata: unknown }): string | undefined {
  return textField(event.metadata, CORRELATION_ID);
}

/** The event_id of an event's cause, if its metadata names one (a non-empty string). */
export function causationOf(event: { readonly metadata: unknown }): string | undefined {
  return textField(event.metadata, CAUSATION_ID);
}

/**
 * The metadata of an event caused by `cause`: `metadata` with the cause's correlation
 * (its own event_id when it has none) and the cause's event_id. Throws
 * `InvalidRequestError` when `cause` is not an event, or `metadata` already names
 * another correlation or cause.
 */
export function causedMetadata(metadata: unknown, cause: Cause): JsonObject {
  if (typeof cause !== 'object' || cause === null || typeof cause.event_id !== 'string' || cause.event_id === '') {
    throw new InvalidRequestError('causedBy must be an event: an object with its event_id and metadata');
  }
  const given = (metadata ?? {}) as JsonObject;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return given; // the encoder refuses it
  const inherited = {
    [CORRELATION_ID]: correlationOf(cause) ?? cause.event_id,
    [CAUSATION_ID]: cause.event_id,
  };
  for (const [field, value] of Object.entries(inherited)) {
    if (field in given && given[field] !== value) {
      throw new InvalidRequestError(
        `metadata.${field} is ${JSON.stringify(given[field])}, but causedBy makes it ${JSON.stringify(value)}: pass one or the other`,
        { context: { field: `metadata.${field}` } },
      );
    }
  }
  return { ...given, ...inherited };
}
