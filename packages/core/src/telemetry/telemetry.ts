/**
 * @module
 * The seam between ReplayRail and a telemetry backend: what the rail, its hub, the
 * admission path and consumers report, as plain calls. Core holds no telemetry
 * library: `@replayrail/core/opentelemetry` implements this interface on the
 * OpenTelemetry API, and a rail made without `telemetry` calls nothing at all.
 */

import type { JsonObject, StoredEvent } from '../types.js';

/**
 * A W3C trace context as carried in HTTP headers and in an event's metadata:
 * `traceparent` (`00-<trace id>-<span id>-<flags>`) and `tracestate`.
 */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** How a client is connected: its transport, and the endpoint it came in by. */
export interface ConnectionKind {
  /** `websocket`, or `sse` (Server-Sent Events). */
  readonly transport: 'websocket' | 'sse';
  /**
   * `channel` (`/ws/<channel>`), `multiplexed` (`/ws`), `events` (the event stream), or
   * `durable-stream` (a Durable Streams SSE read, `@replayrail/durable-streams`).
   */
  readonly endpoint: 'channel' | 'multiplexed' | 'events' | 'durable-stream';
}

/** What `publishing` is told of the event. */
export interface PublishedEvent {
  readonly channel: string;
  readonly event_id: string;
  readonly metadata: JsonObject;
}

/** A publish under way: the metadata to store, and what to call when it settled. */
export interface PublishScope {
  /** The event's metadata with the trace context added (the input's, untouched, when there is none). */
  readonly metadata: JsonObject;
  /** The store answered: with the stored event, or failed with `error`. */
  settled(error?: unknown): void;
}

/** A call between services (`@replayrail/rpc`), as telemetry names it. */
export interface RpcCallInfo {
  readonly service: string;
  readonly method: string;
}

/** A call under way, on the caller's or the server's side. */
export interface RpcScope {
  /** The trace context to send with the call (caller's side), when there is one. */
  readonly carrier: TraceCarrier | undefined;
  /** Runs `work` in the scope's context (a handler's spans become the call's children). */
  run<T>(work: () => T): T;
  /** The call ended: answered, or failed with `error` (an `RpcError`'s code is recorded). */
  settled(error?: unknown): void;
}

/** What a consumer reports. Made once per `rail.consume`. */
export interface ConsumerTelemetry {
  /** Entries a read gave the consumer. */
  received(channel: string, count: number): void;
  /**
   * Runs one attempt of the handler (`run`), in the telemetry's context for it (a
   * consumer span linked to the event's creation). Resolves or rejects as `run` does.
   */
  handling(event: StoredEvent, attempt: number, run: () => unknown): Promise<void>;
  /** An entry was moved to the group's dead letters. */
  deadLettered(channel: string): void;
  /** The consumer started: its figures are observed until `stopped`. */
  started(figures: ConsumerFigures): void;
  stopped(): void;
}

/** What a running consumer can be asked for when figures are collected. */
export interface ConsumerFigures {
  /** Entries it holds now. */
  readonly inFlight: number;
  /** The group's figures on each of its channels, from the store. */
  stats(): Promise<
    readonly { channel: string; group: { pending: number; lag: number | null; deadLetters: number } | null }[]
  >;
}

/** What the rail itself can be asked for when figures are collected. */
export interface RailFigures {
  readonly liveChannels: number;
  readonly subscriptions: number;
}

/**
 * Everything ReplayRail reports. Implementations must not throw: a failing
 * telemetry backend must never fail a publish or a delivery.
 */
export interface Telemetry {
  /** A rail was made with this telemetry: observe its figures (live channels, subscriptions). */
  observe(rail: RailFigures): void;
  /**
   * A validated event is about to be stored. `parent`: the trace context it
   * continues, when given. `fixed`: its metadata cannot change (an outbox event):
   * the scope continues the trace context the metadata carries, and adds none.
   */
  publishing(event: PublishedEvent, parent: TraceCarrier | undefined, fixed: boolean): PublishScope;
  connectionOpened(kind: ConnectionKind): void;
  connectionClosed(kind: ConnectionKind): void;
  /** A connection was refused, by the error code that refused it (`too_many_connections`, …). */
  connectionRefused(kind: ConnectionKind, reason: string): void;
  /** Events handed to live subscribers (events × subscribers). */
  delivered(channel: string, count: number): void;
  /** Events handed to subscribers catching up. */
  replayed(channel: string, count: number): void;
  /** A subscriber caught up with its channel after `seconds`. */
  caughtUp(channel: string, seconds: number): void;
  /** A subscriber or a replay was told its history is gone. */
  historyLost(channel: string, reason: 'replay_window_expired' | 'stream_reset'): void;
  /** A subscriber was ended because it fell behind (a socket closed with 4408, an iterator's buffer full). */
  slowConsumer(channel: string): void;
  /** A store call failed (`store_error`, `store_unavailable`, `store_closed`). */
  storeFailed(operation: string, code: string): void;
  /** A request's client hung up, or broke the body's framing, before its body was complete (`method`: POST, …). */
  requestAborted(method: string): void;
  /** A consumer's reporter, for `rail.consume`. */
  consumer(group: string, name: string): ConsumerTelemetry;
  /** A call to another service starts (the caller's side). */
  rpcCall(call: RpcCallInfo): RpcScope;
  /** A server starts handling a call, continuing the caller's trace (`parent`) when it sent one. */
  rpcServe(call: RpcCallInfo, parent: TraceCarrier | undefined): RpcScope;
  /** A server did not start a call: its caller's deadline had passed. */
  rpcExpired(call: RpcCallInfo): void;
  /** A keyed channel's snapshot was handed over to its end: `events` of them, in `seconds`. */
  snapshotRead(channel: string, events: number, seconds: number): void;
  /** A keyed channel's state held `keys` keys when it was last counted (`stateSize`, a rebuild). */
  stateKeys(channel: string, keys: number): void;
}
