/**
 * @module
 * What the routes tell the rail's telemetry (`openTelemetry()` from
 * `@replayrail/core/opentelemetry`, when the rail has one), named by the stream's path
 * where a channel would go: an append is a publish (its span continues the request's
 * `traceparent`, and it counts in `replayrail.publish.*`), a catch-up read's messages
 * are replayed, a live read's delivered, an SSE read is a connection, and a `410` is
 * history lost. Nothing is recorded, and nothing costs, without telemetry.
 */

import type { ReplayRail } from '@replayrail/core';
import type { ConnectionKind, PublishScope } from '@replayrail/core/telemetry';

const SSE: ConnectionKind = Object.freeze({ transport: 'sse', endpoint: 'durable-stream' });

export class StreamTelemetry {
  readonly #rail: ReplayRail;

  constructor(rail: ReplayRail) {
    this.#rail = rail;
  }

  /** An append under way, as a publish to the stream's path; undefined without telemetry. */
  appending(path: string, traceparent: string | undefined, tracestate: string | undefined): PublishScope | undefined {
    const carrier =
      traceparent === undefined ? undefined : { traceparent, ...(tracestate !== undefined && { tracestate }) };
    return this.#rail.telemetry?.publishing({ channel: path, event_id: '', metadata: {} }, carrier, false);
  }

  /** Messages sent: `live` ones (long-poll, SSE at the tail) are delivered, others replayed. */
  sent(path: string, count: number, live: boolean): void {
    if (count === 0) return;
    if (live) this.#rail.telemetry?.delivered(path, count);
    else this.#rail.telemetry?.replayed(path, count);
  }

  sseOpened(): void {
    this.#rail.telemetry?.connectionOpened(SSE);
  }

  sseClosed(): void {
    this.#rail.telemetry?.connectionClosed(SSE);
  }

  /** A read answered 410 (its offset before retained history) or found the store's history lost. */
  historyLost(path: string, reason: 'replay_window_expired' | 'stream_reset'): void {
    this.#rail.telemetry?.historyLost(path, reason);
  }
}
