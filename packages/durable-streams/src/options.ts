/**
 * @module
 * Options of `durableStreams`, and their checks and defaults.
 */

import type { ReplayRail } from '@replayrail/core';
import {
  DEFAULT_MAX_FORK_MESSAGES,
  type DurableRetention,
  type DurableStreamStore,
  integerOption,
  optionError,
} from '@replayrail/core/store';
import { type CursorClock, DEFAULT_CURSOR_CLOCK } from './stream-cursor.js';

/** Options of `durableStreams`. */
export interface DurableStreamsOptions {
  /** Where streams are served: `<streamsPath>/<stream path>`. @default '/v1/stream' */
  streamsPath?: string;
  /**
   * Where the rail's channels are served as read-only JSON streams:
   * `<channelsPath>/<channel>`; `null` serves none. @default '/v1/channel'
   */
  channelsPath?: string | null;
  /** How long a long-poll waits for data before answering 204. @default 3000 */
  longPollTimeoutMs?: number;
  /** How long an SSE connection is held before the server closes it (the client reconnects from its offset). @default 60000 */
  sseMaxDurationMs?: number;
  /** Largest `PUT` or `POST` body, in bytes: larger ones get 413, unread. @default 1048576 */
  maxBodyBytes?: number;
  /** Most bytes of messages in one catch-up response (at least one message is always sent). @default 4194304 */
  maxChunkBytes?: number;
  /** Most messages one read takes from the store (a catch-up response, an SSE batch, a shared live read). @default 1000 */
  readLimit?: number;
  /**
   * How long one shared live read blocks in the store before it is made again (a
   * message, a close or a delete ends it sooner). @default 1000
   */
  tailBlockMs?: number;
  /** Trimming of every stream, on append: by length (approximate) and by age. @default keep all */
  retention?: Partial<DurableRetention>;
  /**
   * The most messages a fork may inherit: a fork copies its source's messages up to its
   * offset when it is made, so a fork of a longer history is refused with 400 (fork at
   * an earlier offset, or raise this). @default 100000
   */
  maxForkMessages?: number;
  /**
   * `public` or `private` caching of catch-up and long-poll responses that carry data
   * (`max-age=60, stale-while-revalidate=300`, bounded by the stream's TTL or expiry):
   * `private` when streams hold user-specific data. @default 'public'
   */
  cacheVisibility?: 'public' | 'private';
  /** `Access-Control-Allow-Origin` of every response. @default '*' */
  allowOrigin?: string;
  /** How `Stream-Cursor` intervals are counted (section 10.1); tests change the clock. */
  cursorClock?: Partial<CursorClock>;
}

export interface ResolvedOptions {
  readonly streamsPath: string;
  readonly channelsPath: string | null;
  readonly longPollTimeoutMs: number;
  readonly sseMaxDurationMs: number;
  readonly maxBodyBytes: number;
  readonly maxChunkBytes: number;
  readonly readLimit: number;
  readonly tailBlockMs: number;
  readonly retention: DurableRetention;
  readonly maxForkMessages: number;
  readonly cacheVisibility: 'public' | 'private';
  readonly allowOrigin: string;
  readonly cursorClock: CursorClock;
}

const OWNER = 'durableStreams';

function basePath(name: string, value: string | undefined, fallback: string): string {
  const path = (value ?? fallback).replace(/\/+$/, '');
  if (!path.startsWith('/') || /[*:?#]/.test(path)) {
    throw optionError(OWNER, name, `must be a path starting with '/', without * : ? #, got ${JSON.stringify(value)}`);
  }
  return path;
}

function nullableInteger(name: string, value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  return integerOption(OWNER, name, value, 0);
}

export function resolveOptions(options: DurableStreamsOptions): ResolvedOptions {
  const streamsPath = basePath('streamsPath', options.streamsPath, '/v1/stream');
  const channelsPath =
    options.channelsPath === null ? null : basePath('channelsPath', options.channelsPath, '/v1/channel');
  if (channelsPath !== null && (channelsPath === streamsPath || channelsPath.startsWith(`${streamsPath}/`))) {
    throw optionError(OWNER, 'channelsPath', 'must not be streamsPath or under it');
  }
  const visibility = options.cacheVisibility ?? 'public';
  if (visibility !== 'public' && visibility !== 'private') {
    throw optionError(OWNER, 'cacheVisibility', `must be 'public' or 'private', got ${JSON.stringify(visibility)}`);
  }
  return {
    streamsPath,
    channelsPath,
    longPollTimeoutMs: integerOption(OWNER, 'longPollTimeoutMs', options.longPollTimeoutMs, 3000),
    sseMaxDurationMs: integerOption(OWNER, 'sseMaxDurationMs', options.sseMaxDurationMs, 60_000),
    maxBodyBytes: integerOption(OWNER, 'maxBodyBytes', options.maxBodyBytes, 1024 * 1024),
    maxChunkBytes: integerOption(OWNER, 'maxChunkBytes', options.maxChunkBytes, 4 * 1024 * 1024),
    readLimit: integerOption(OWNER, 'readLimit', options.readLimit, 1000),
    tailBlockMs: integerOption(OWNER, 'tailBlockMs', options.tailBlockMs, 1000),
    retention: {
      maxLength: nullableInteger('retention.maxLength', options.retention?.maxLength),
      maxAgeMs: nullableInteger('retention.maxAgeMs', options.retention?.maxAgeMs),
    },
    maxForkMessages: integerOption(OWNER, 'maxForkMessages', options.maxForkMessages, DEFAULT_MAX_FORK_MESSAGES),
    cacheVisibility: visibility,
    allowOrigin: options.allowOrigin ?? '*',
    cursorClock: { ...DEFAULT_CURSOR_CLOCK, ...options.cursorClock },
  };
}

/**
 * The rail's durable streams (its store's, guarded: a failure is a ReplayRail error and
 * told to the telemetry), or a ConfigError when the store keeps none.
 */
export function durableStoreOf(rail: ReplayRail): DurableStreamStore {
  const store = rail.durableStreams;
  if (store === undefined) {
    throw optionError(OWNER, 'rail', 'has a store that keeps no durable streams (store.durableStreams)');
  }
  return store;
}
