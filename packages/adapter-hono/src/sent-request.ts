/**
 * @module
 * The request as its client sent it. Runtimes hand Hono a WHATWG URL, and on Node
 * and Bun that URL has already resolved `.` and `..` segments (percent-encoded ones
 * too) and turned `\` into `/`: `/events/public/%2e%2e/private` arrives as
 * `/events/private`, so a proxy that allows `/events/public/*` would be bypassed.
 * The adapter takes channels from the request line instead, wherever the runtime
 * keeps it, and refuses what server-ws refuses (README: "Paths as sent"):
 *
 * - Node (`@hono/node-server`, and either Node WebSocket helper): Node's own request,
 *   bound to the context, has the request line's target and method as sent;
 * - Deno: the Request's URL keeps the path as sent;
 * - Bun: the Request's URL is already resolved, and nothing else keeps the path, so
 *   dot segments and backslashes cannot be seen there (a `#` still can).
 */

import { channelFromPath, type SentTarget, splitTarget } from '@replayrail/core/protocol';
import type { Context } from 'hono';

/** What `@hono/node-server` and the Node WebSocket helpers bind to a request: Node's own request and response. */
interface NodeBindings {
  incoming?: { url?: unknown; method?: unknown };
  outgoing?: unknown;
}

function nodeRequest(c: Context): NodeBindings | undefined {
  const env = c.env as NodeBindings | undefined;
  return typeof env?.incoming === 'object' && env.incoming !== null ? env : undefined;
}

/** The request's path (not normalized, not decoded) and query, as sent where the runtime keeps them. */
export function sentTarget(c: Context): SentTarget {
  const url = nodeRequest(c)?.incoming?.url;
  return splitTarget(typeof url === 'string' ? url : c.req.raw.url);
}

/** The method as sent: the Node WebSocket helpers dispatch every upgrade as a GET, Node's request knows better. */
export function sentMethod(c: Context): string {
  const method = nodeRequest(c)?.incoming?.method;
  return typeof method === 'string' ? method : c.req.method;
}

/**
 * Whether the request came by the runtime's upgrade path (Node's `upgrade` event,
 * through a Node WebSocket helper or `@hono/node-server` 2): whatever answers it, only a
 * status line goes back, and its socket closes then. A route that streams (an event
 * stream) would hold its subscription for a reader that never comes.
 */
export function cameAsUpgrade(c: Context): boolean {
  const node = nodeRequest(c);
  return node !== undefined && node.outgoing === undefined;
}

/**
 * Whether the runtime serves this request as a plain one, which no answer turns into
 * a socket: on Node, a request that reached the request handler (it has a response
 * to write) rather than the server's `upgrade` event.
 */
export function servedAsPlainRequest(c: Context): boolean {
  return nodeRequest(c)?.outgoing !== undefined;
}

/**
 * The channel a sent path names under `prefix` (percent-decoded, not normalized,
 * then checked by the rail), or undefined when the path as sent is not under it: it
 * reached the route only because the runtime resolved it (`/x/../events/c`), and is
 * answered as any path without a route is.
 */
export function channelUnder(path: string, prefix: string): string | undefined {
  return path.startsWith(`${prefix}/`) ? channelFromPath(path.slice(prefix.length + 1)) : undefined;
}
