/**
 * @module
 * Every error an HTTP route returns, as `{ "error": { "code", "message" } }` with
 * the status of the error table (`wireStatusOf`; docs/architecture.md, "Errors"): the one place errors become
 * responses, so a status cannot differ between routes.
 */

import { toReplayRailError, wireStatusOf } from '@replayrail/core/protocol';

/** The JSON body of an error response. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** The response for a thrown value: its status from the table and a JSON body. */
export function errorResponse(error: unknown): Response {
  const failure = toReplayRailError(error);
  const body: ErrorBody = { error: { code: failure.code, message: failure.message } };
  const status = wireStatusOf(failure).http ?? 500;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  // Transient failures: the client may retry, after a second or so.
  if (status === 503) headers['retry-after'] = '1';
  return new Response(JSON.stringify(body), { status, headers });
}
