/**
 * @module
 * What every route works with, and the stream a request names.
 */

import type { ReplayRail } from '@replayrail/core';
import { InvalidRequestError } from '@replayrail/core/errors';
import { type DurableStreamRef, type DurableStreamStore, MAX_DURABLE_PATH_LENGTH } from '@replayrail/core/store';
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
