/**
 * Fanout benchmark, shared by the driver and its child processes: what a stack is
 * (one server, one publisher, subscriber processes, all for one target), the event
 * payload every target carries, the wall clock all processes stamp it with, and the
 * request/reply loop a child serves over its IPC channel. Measures nothing itself.
 */

import { sampleOrder } from '../common.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * `rr`: ReplayRail's `@replayrail/server-ws`; `hono`: ReplayRail's `@replayrail/adapter-hono` on
 * `@hono/node-server` with the adapter's Node helper (`@replayrail/adapter-hono/node`) (both on
 * `@replayrail/store-redis`, the same endpoints and clients); `floor`: the least server that gives
 * their subscribers the same frames (floor.ts), the target they are held to; `sio`: Socket.IO 4
 * with the Redis Streams adapter, the peer.
 */
export type Target = 'rr' | 'hono' | 'floor' | 'sio';

/** Whether a target speaks ReplayRail's protocol (the same publisher, endpoint and clients). */
export const isRail = (target: Target): boolean => target !== 'sio';

/** What every process of one stack is started with. */
export interface StackOptions {
  target: Target;
  /** The run's key prefix: every Redis key and client name starts with it. */
  prefix: string;
  /** This stack's name: the channel (ReplayRail), the room and stream (Socket.IO). */
  name: string;
  /** Events the stream keeps (ReplayRail `maxStreamLength`, Socket.IO adapter `maxLen`). */
  maxLen: number;
  /** ReplayRail trims exactly (`approximateTrimming: false`); the Socket.IO adapter always trims with `~`. */
  exactTrim: boolean;
  /**
   * With `hono`: the sockets upgraded by `@hono/node-ws` instead of the adapter's own
   * helper, to show what the helper changes (idle memory).
   */
  nodeWs?: boolean;
  /**
   * With `rr` or `hono`: the server's and the publisher's rails get `openTelemetry()`
   * on the OpenTelemetry SDK with exporters that discard (see otel-sdk.ts).
   */
  telemetry?: boolean;
}

/** What the telemetry of a stack's server and publisher exported, after a flush. */
export interface Exported {
  /** The server's `replayrail.events.delivered` in its last metric export. */
  delivered: number;
  /** Metric collections the server exported. */
  metricExports: number;
  /** Spans the publisher exported. */
  spans: number;
}

/** The Redis client name of a stack's server process, to count its connections in CLIENT LIST. */
export const serverClientName = (options: StackOptions): string => `${options.prefix}-${options.name}-server`;

/** Options of `@socket.io/redis-streams-adapter`, the same in the server and the publisher. */
export const sioAdapterOptions = (options: StackOptions) => ({
  streamName: `${options.prefix}:sio:${options.name}`,
  sessionKeyPrefix: `${options.prefix}:sio-session:`,
  channelPrefix: `${options.prefix}-sio`,
  maxLen: options.maxLen,
});

/** The event both targets carry: a phase tag, a sequence number, the send time and a ~200-byte order. */
/** What the reconnecting subscriber reports: how long it took and what it got. */
export interface Recovery {
  ms: number | null;
  received: number;
  duplicates: number;
  gaps: number;
  inOrder: boolean;
  closeCode: number | null;
  closeReason: string;
  recovered: boolean | null;
}

/** The ReplayRail config every process of a stack uses, so they share one stream layout. */
export const railConfig = (options: StackOptions) => ({
  streamPrefix: `${options.prefix}:rr`,
  maxStreamLength: options.maxLen,
  approximateTrimming: !options.exactTrim,
});

export interface Payload {
  phase: string;
  seq: number;
  /** Send time, ms since the epoch with µs (performance.timeOrigin + performance.now()). */
  t: number;
  order: {
    order_id: string;
    restaurant_id: string;
    table: number;
    items: { sku: string; qty: number; unit_price: number }[];
    total: number;
    currency: string;
  };
}

/** Wall-clock ms with µs, comparable across the processes of this machine. */
export const now = (): number => performance.timeOrigin + performance.now();

export function samplePayload(phase: string, seq: number): Payload {
  return {
    phase,
    seq,
    t: now(),
    order: sampleOrder(seq),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
