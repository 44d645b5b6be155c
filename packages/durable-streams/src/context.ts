/**
 * @module
 * What every route works with, and the stream a request names.
 */

import type { ReplayRail } from '@replayrail/core';
import { InvalidRequestError } from '@replayrail/core/errors';
import { clientGone } from '@replayrail/core/protocol';
import { type DurableStreamRef, type DurableStreamStore, MAX_DURABLE_PATH_LENGTH } from '@replayrail/core/store';
import type { Context } from 'hono';
import type { ResolvedOptions } from './options.js';
import type { StreamTails } from './stream-tails.js';
import type { StreamTelemetry } from './telemetry.js';

/** What every route works with. */
export interface RouteContext {
  readonly rail: ReplayRail;
  readonly store: DurableStreamStore;
  readonly options: ResolvedOptions;
  readonly tails: StreamTails;
  readonly telemetry: StreamTelemetry;
  /** Ends every open event stream when the routes close: each adds its ender while it runs. */
  readonly openStreams: Set<() => void>;
}

/**
 * The rest of a request's path under `base`, percent-decoded: a stream path or a
 * channel. Undefined when the path is not under it; a 400 when it is empty, cannot be
 * decoded, holds a NUL or is over 1024 characters.
 */
export function pathUnder(url: string, base: string): string | undefined {
  const pathname = new URL(url).pathname;
  if (!pathname.startsWith(`${base}/`)) return undefined;
  const raw = pathname.slice(base.length + 1);
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    throw new InvalidRequestError('the path is not valid percent-encoded UTF-8');
  }
  if (path === '' || path.length > MAX_DURABLE_PATH_LENGTH || path.includes('\u0000')) {
    throw new InvalidRequestError(`a stream path is 1 to ${MAX_DURABLE_PATH_LENGTH} characters without NUL`);
  }
  return path;
}

/** The store's name for a stream path, under the rail's key prefix. */
export function refOf(context: RouteContext, path: string): DurableStreamRef {
  return { prefix: context.rail.config.streamPrefix, path };
}

/** Aborted when the request's client leaves: for the responses that wait (long-poll, SSE). */
export function goneSignalOf(c: Context): AbortSignal {
  return clientGone(c.env, () => c.req.raw.signal);
}

/**
 * How a route reads the request's headers. Under @hono/node-server, Node's own parsed
 * headers (names lower case), as a Node server reads them: `c.req.header` would build
 * a Web `Headers` of them all for every request first. Elsewhere, `c.req.header`.
 */
export function headerReader(c: Context): (name: string) => string | undefined {
  const headers = (c.env as { incoming?: { headers?: Record<string, string | string[] | undefined> } } | undefined)
    ?.incoming?.headers;
  if (headers === undefined) return (name) => c.req.header(name);
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}
