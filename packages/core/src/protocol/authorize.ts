/**
 * @module
 * The `authorize` hook every transport asks before a subscription (sockets, event
 * streams, pages) and, on HTTP, before a publish.
 */

import { ForbiddenError } from '../errors.js';

/** What an `authorize` hook is asked: may `request` read (`subscribe`: sockets, SSE, pages) or publish to `channel`? */
export interface AuthorizeRequest<Request> {
  readonly request: Request;
  readonly channel: string;
  readonly action: 'subscribe' | 'publish';
}

/**
 * Decides whether a request may subscribe to (or publish on) a channel: return true
 * to allow, false to deny (403 / 4403), or throw `UnauthenticatedError` (401 / 4401)
 * or `ForbiddenError`. Anything else it throws is a bug in it: `internal_error`.
 */
export type Authorize<Request> = (request: AuthorizeRequest<Request>) => boolean | Promise<boolean>;

/**
 * Asks `authorize` and throws `ForbiddenError` (403 / 4403) unless it answers true;
 * what it throws passes through. Every transport asks this way.
 */
export async function checkAuthorized<Request>(
  authorize: Authorize<Request> | undefined,
  question: AuthorizeRequest<Request>,
): Promise<void> {
  if (authorize === undefined) return;
  const allowed = await authorize(question);
  if (allowed !== true) {
    throw new ForbiddenError(`not allowed to ${question.action} to ${JSON.stringify(question.channel)}`, {
      context: { channel: question.channel, action: question.action },
    });
  }
}
