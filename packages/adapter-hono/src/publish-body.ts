/**
 * @module
 * The body of `POST /events/<channel>` (docs/protocol.md, "HTTP and Server-Sent Events"): checked with zod, strictly
 * (an unknown field is a typo the caller should hear about), before the rail
 * validates names, sizes and JSON. Errors name the field.
 */

import { InvalidRequestError } from '@replayrail/core';
import { describeIssue } from '@replayrail/core/schema';
import { z } from 'zod';

const jsonObject = z.record(z.string(), z.unknown());

export const publishBodySchema = z.strictObject({
  type: z.string(),
  payload: jsonObject,
  actor: jsonObject.nullable().optional(),
  metadata: jsonObject.optional(),
  event_id: z.string().optional(),
  created_at: z.string().optional(),
});

/** What a client may POST. */
export type PublishBody = z.output<typeof publishBodySchema>;

/** Parses a decoded JSON value as a publish body, or throws `InvalidRequestError` naming the field. */
export function parsePublishBody(value: unknown): PublishBody {
  const result = publishBodySchema.safeParse(value);
  if (!result.success) {
    throw new InvalidRequestError(describeIssue(result.error), {
      context: { field: result.error.issues[0]?.path.join('.') },
    });
  }
  return result.data;
}
