/**
 * @module
 * `@replayrail/core/schema`, everything of core that is written with zod: the
 * event catalog (catalog.ts), and schemas of the wire envelopes (docs/architecture.md, "The envelope and the Redis layout"), for code that receives events as
 * JSON: an outbox row, an HTTP body, a frame. They check shape; `ReplayRail`
 * applies the full rules (names, limits, lossless JSON) when it publishes.
 */

import { z } from 'zod';
import { isCursor } from './cursor.js';
import { InvalidRequestError } from './errors.js';
import type { JsonObject, NewEvent, StoredEvent } from './types.js';

const jsonObject = z.custom<JsonObject>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be a JSON object',
);

const newEventShape = {
  event_id: z.string().min(1),
  channel: z.string().min(1),
  type: z.string().min(1),
  payload: jsonObject,
  actor: jsonObject.nullable(),
  metadata: jsonObject,
  created_at: z.string().min(1),
};

/** A `NewEvent` as JSON (what `prepareEvent` returns, e.g. read back from an outbox). */
export const newEventSchema: z.ZodType<NewEvent> = z.strictObject(newEventShape);

/** A `StoredEvent` as JSON: a WebSocket frame, an HTTP response item. */
export const storedEventSchema: z.ZodType<StoredEvent> = z.strictObject({
  id: z.string().refine(isCursor, 'must be a cursor <ms>-<seq>'),
  ...newEventShape,
});

/**
 * Parses a stored event from its wire JSON; throws `InvalidRequestError` naming the field.
 *
 * @example
 * const event = parseStoredEvent(frame.data);
 */
export function parseStoredEvent(json: string): StoredEvent {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InvalidRequestError(`event is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = storedEventSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidRequestError(`event ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'is invalid'}`);
  }
  return result.data;
}

export type { CatalogEvent, CatalogStoredEvent, EventCatalog } from './catalog.js';
export { checkAgainstCatalog, defineCatalog, describeIssue } from './catalog.js';
