/**
 * @module
 * `clientGone`: a signal aborted when the client of a response that waits (a
 * long-poll, an event stream) goes away, on whatever runtime serves it.
 */

/** What `@hono/node-server` binds to a request as `outgoing`: Node's response, as used here. */
interface NodeResponseLike {
  readonly closed?: boolean;
  readonly destroyed?: boolean;
  readonly writableFinished?: boolean;
  once(event: 'close', listener: () => void): unknown;
}

function nodeResponseOf(env: unknown): NodeResponseLike | undefined {
  const outgoing = (env as { outgoing?: Partial<NodeResponseLike> } | undefined)?.outgoing;
  return typeof outgoing?.once === 'function' ? (outgoing as NodeResponseLike) : undefined;
}

/**
 * Aborted when the client leaves before the response has finished. Under
 * @hono/node-server it listens to Node's response (the `outgoing` binding of the
 * server's `env`): asking the Web `Request` for its `signal` there builds the whole
 * Request, its body stream too, which costs an append a tenth of its time, and tells
 * only a signal made before the client left. A client that has already left gets an
 * aborted signal. Elsewhere, the Request's own signal (`signal()`).
 */
export function clientGone(env: unknown, signal: () => AbortSignal): AbortSignal {
  const outgoing = nodeResponseOf(env);
  if (outgoing === undefined) return signal();
  const controller = new AbortController();
  const left = () => controller.abort(new Error('the client went away'));
  if (outgoing.closed === true || outgoing.destroyed === true) {
    if (outgoing.writableFinished !== true) left();
  } else {
    outgoing.once('close', () => {
      if (outgoing.writableFinished !== true) left();
    });
  }
  return controller.signal;
}
