/**
 * @module
 * Every error an HTTP route returns, as `{ "error": { "code", "message" } }` with
 * the status of DESIGN §7's table (`wireStatusOf`): the one place errors become
 * responses, so a status cannot differ between routes.
 */

import { isReplayRailError, type ReplayRailError, StoreError, wireStatusOf } from '@replayrail/core';

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** A thrown value as a ReplayRail error; anything else is internal and says no more. */
export function asReplayRailError(error: unknown): ReplayRailError {
  return isReplayRailError(error) ? error : new StoreError('unexpected failure', { cause: error });
}

/** The response for a thrown value: its status from the table and a JSON body. */
export function errorResponse(error: unknown): Response {
  const failure = asReplayRailError(error);
  const body: ErrorBody = { error: { code: failure.code, message: failure.message } };
  const status = wireStatusOf(failure).http ?? 500;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  // Transient failures: the client may retry, after a second or so.
  if (status === 503) headers['retry-after'] = '1';
  return new Response(JSON.stringify(body), { status, headers });
}
