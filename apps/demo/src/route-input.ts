/**
 * @module
 * What the demo's own routes (operator-routes.ts, simulator-routes.ts) share: input
 * checked with zod, a bad input refused as a 400 `{"error": {"code", "message"}}`
 * naming the field, as ReplayRail's routes answer, and any other failure logged
 * rather than detailed to the client, so nothing a client sends can crash the process.
 */

import { InvalidRequestError, isReplayRailError } from '@replayrail/core';
import type { Context, ErrorHandler } from 'hono';
import { z } from 'zod';

/** A restaurant: one segment of a channel name (`restaurant:<id>:orders`). */
export const restaurantSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ -');

// The bodies these routes take are a few IDs: anything much longer is refused before it is parsed.
const MAX_BODY_BYTES = 16 * 1024;

/** `value` as `schema` has it, or an `InvalidRequestError` naming `what` and the field. */
export function check<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [what, ...(issue?.path ?? [])].join('.');
  throw new InvalidRequestError(`${path}: ${issue?.message ?? 'invalid'}`, { context: { field: path } });
}

/** The request's body as JSON, or an `InvalidRequestError`. */
export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) throw new InvalidRequestError(`body: larger than ${MAX_BODY_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError('body: not JSON');
  }
}

/** The `onError` of the demo's routes: a client's mistake is answered, anything else is logged. */
export const answerError: ErrorHandler = (error, c) => {
  if (isReplayRailError(error) && error.status.http !== null && error.status.http < 500) {
    return c.json({ error: { code: error.code, message: error.message } }, error.status.http as 400);
  }
  // A store failure or a bug: logged here, never detailed to the client.
  console.error(`${c.req.method} ${c.req.path}:`, error);
  const code = isReplayRailError(error) ? error.code : 'internal_error';
  const status = isReplayRailError(error) ? (error.status.http ?? 500) : 500;
  return c.json({ error: { code, message: `${c.req.path} failed: see the demo’s log` } }, status as 500);
};
