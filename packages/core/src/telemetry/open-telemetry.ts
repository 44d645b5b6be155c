/**
 * @module
 * `@replayrail/core/opentelemetry`: ReplayRail's metrics and traces on the
 * OpenTelemetry API, named after the messaging semantic conventions where they name
 * the figure and `replayrail.*` where they do not. Only this entry imports
 * `@opentelemetry/api` (an optional peer dependency): a rail made without
 * `telemetry` never loads it.
 *
 * @example
 * import { ReplayRail } from '@replayrail/core';
 * import { openTelemetry } from '@replayrail/core/opentelemetry';
 *
 * const rail = new ReplayRail({ store, telemetry: openTelemetry() }); // the global providers
 */

import {
  type Attributes,
  type Counter,
  context,
  createTraceState,
  type Histogram,
  isSpanContextValid,
  type Link,
  type Meter,
  type MeterProvider,
  metrics,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { isReplayRailError } from '../errors.js';
import type { JsonObject, StoredEvent } from '../types.js';
import { type DestinationAttributes, type DestinationOptions, Destinations } from './destinations.js';
import type {
  ConnectionKind,
  ConsumerFigures,
  ConsumerTelemetry,
  PublishedEvent,
  PublishScope,
  RailFigures,
  RpcCallInfo,
  RpcScope,
  Telemetry,
  TraceCarrier,
} from './telemetry.js';
import { formatTraceparent, parseTraceparent } from './traceparent.js';

export { channelTemplate, type DestinationOptions } from './destinations.js';
export { formatTraceparent, parseTraceparent, type TraceParent } from './traceparent.js';

/** Options of `openTelemetry`. */
export interface OpenTelemetryOptions extends DestinationOptions {
  /** Where metrics go. @default the global MeterProvider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** Where spans go. @default the global TracerProvider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /**
   * The metadata key a publish stores its trace context under, as
   * `{ traceparent, tracestate }`; consumers read it from there. `false`: not stored.
   * @default 'trace_context'
   */
  traceContextKey?: string | false;
}

const NAME = '@replayrail/core';
const SYSTEM = 'replayrail';
const NO_METADATA_KEY = '';

// Seconds: the conventions' unit for durations, with bucket edges from 0.5 ms up.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * ReplayRail's telemetry on the OpenTelemetry API: pass it as `telemetry` to
 * `new ReplayRail`. Metrics and spans go to the given providers (by default the
 * global ones, which record nothing until an SDK is registered).
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Telemetry {
  return new OpenTelemetry(options);
}

function errorType(error: unknown): string {
  if (isReplayRailError(error)) return error.code;
  if (error instanceof Error) return error.name;
  return '_OTHER';
}

function failed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.setAttribute('error.type', errorType(error));
  if (error instanceof Error) span.recordException(error);
}

// The span context a carrier names, or undefined when it names none validly.
function remoteContext(carrier: unknown): SpanContext | undefined {
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  const { traceparent, tracestate } = carrier as TraceCarrier;
  const parent = parseTraceparent(traceparent);
  if (parent === undefined) return undefined;
  let traceState: ReturnType<typeof createTraceState> | undefined;
  if (typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= 512) {
    traceState = createTraceState(tracestate);
  }
  return { ...parent, isRemote: true, ...(traceState && { traceState }) };
}

class OpenTelemetry implements Telemetry {
  readonly #tracer: Tracer;
  readonly #meter: Meter;
  readonly #destinations: Destinations;
  readonly #traceKey: string;
  readonly #publishDuration: Histogram;
  // Per destination label set (a bounded number): what a publish there reports.
  readonly #sends = new Map<DestinationAttributes, SendFigures>();
  readonly #connections;
  readonly #refused;
  readonly #delivered;
  readonly #replayed;
  readonly #catchUp: Histogram;
  readonly #historyLost;
  readonly #snapshotEvents;
  readonly #snapshotDuration;
  readonly #stateKeys = new Map<DestinationAttributes, number>();
  readonly #slow;
  readonly #storeErrors;
  readonly #aborted;
  // What consumers' reporters share.
  readonly #forConsumers: ConsumerInstruments;
  readonly #rpc: RpcInstruments;
  readonly #rails = new Set<RailFigures>();
  readonly #consumers = new Map<ConsumerFigures, string>();

  constructor(options: OpenTelemetryOptions) {
    this.#tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(NAME);
    const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(NAME);
    this.#meter = meter;
    this.#destinations = new Destinations(options);
    this.#traceKey = options.traceContextKey === false ? NO_METADATA_KEY : (options.traceContextKey ?? 'trace_context');
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } };
    // Observed from plain tallies: a synchronous counter would hash its attributes on
    // every publish, and a publish is the hottest path there is.
    meter
      .createObservableCounter('messaging.client.sent.messages', {
        unit: '{message}',
        description: 'Events published (stored, or refused by the store).',
      })
      .addCallback((result) => {
        for (const send of this.#sends.values()) {
          if (send.stored > 0) result.observe(send.stored, send.attributes);
          for (const [type, count] of send.failed) result.observe(count, { ...send.attributes, 'error.type': type });
        }
      });
    this.#publishDuration = meter.createHistogram('messaging.client.operation.duration', {
      ...seconds,
      description: 'How long a publish took, from the validated event to the store answering.',
    });
    this.#connections = meter.createUpDownCounter('replayrail.connections', {
      unit: '{connection}',
      description: 'Open connections, by transport and endpoint.',
    });
    this.#refused = meter.createCounter('replayrail.connections.refused', {
      unit: '{connection}',
      description: 'Connections refused, by reason (the error code).',
    });
    this.#delivered = meter.createCounter('replayrail.events.delivered', {
      unit: '{event}',
      description: 'Events handed to live subscribers (one per event per subscriber).',
    });
    this.#replayed = meter.createCounter('replayrail.events.replayed', {
      unit: '{event}',
      description: 'Events handed to subscribers catching up.',
    });
    this.#catchUp = meter.createHistogram('replayrail.catch_up.duration', {
      ...seconds,
      description: 'How long subscribers took to catch up with their channel.',
    });
    this.#historyLost = meter.createCounter('replayrail.history_lost', {
      unit: '{signal}',
      description: 'Subscribers and replays told their history is gone, by reason.',
    });
    this.#slow = meter.createCounter('replayrail.slow_consumers', {
      unit: '{subscriber}',
      description: 'Subscribers ended for falling behind (sockets closed with 4408).',
    });
    this.#storeErrors = meter.createCounter('replayrail.store.errors', {
      unit: '{error}',
      description: 'Store calls that failed, by operation and error code.',
    });
    this.#snapshotEvents = meter.createHistogram('replayrail.snapshot.events', {
      unit: '{event}',
      description: 'Events in snapshots of keyed channels, one per snapshot read to its end.',
      advice: { explicitBucketBoundaries: [0, 10, 100, 1_000, 10_000, 100_000, 1_000_000] },
    });
    this.#snapshotDuration = meter.createHistogram('replayrail.snapshot.duration', {
      ...seconds,
      description: 'How long snapshots of keyed channels took to hand over, from the first page to the last event.',
    });
    // Observed, not a synchronous gauge: that one needs @opentelemetry/api 1.9, the peer range starts at 1.4.
    meter
      .createObservableGauge('replayrail.state.keys', {
        unit: '{key}',
        description: "Keys a keyed channel's state held when last counted.",
      })
      .addCallback((result) => {
        for (const [attributes, keys] of this.#stateKeys) result.observe(keys, attributes);
      });
    this.#aborted = meter.createCounter('replayrail.requests.aborted', {
      unit: '{request}',
      description: 'HTTP requests whose client hung up, or broke the body framing, before the body was complete.',
    });
    this.#forConsumers = {
      tracer: this.#tracer,
      destinations: this.#destinations,
      traceKey: this.#traceKey,
      consumers: this.#consumers,
      consumed: meter.createCounter('messaging.client.consumed.messages', {
        unit: '{message}',
        description: 'Entries consumers received from their groups.',
      }),
      processDuration: meter.createHistogram('messaging.process.duration', {
        ...seconds,
        description: "How long consumers' handlers took, per attempt.",
      }),
      deadLettered: meter.createCounter('replayrail.consumer.dead_lettered', {
        unit: '{message}',
        description: "Entries consumers moved to their group's dead letters.",
      }),
    };
    this.#rpc = new RpcInstruments(this.#tracer, meter);
    this.#observeRails();
    this.#observeConsumers();
  }

  observe(rail: RailFigures): void {
    this.#rails.add(rail);
  }

  publishing(event: PublishedEvent, parent: TraceCarrier | undefined, fixed: boolean): PublishScope {
    const start = performance.now();
    const { channel, metadata } = event;
    const send = this.#sendFigures(this.#destinations.attributes(channel));
    const carrier = parent ?? (fixed && this.#traceKey !== NO_METADATA_KEY ? metadata[this.#traceKey] : undefined);
    const remote = carrier === undefined ? undefined : remoteContext(carrier);
    const parentContext = remote === undefined ? context.active() : trace.setSpanContext(ROOT_CONTEXT, remote);
    const span = this.#tracer.startSpan(
      send.spanName,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': SYSTEM,
          'messaging.operation.name': 'send',
          'messaging.operation.type': 'send',
          'messaging.destination.name': channel,
          'messaging.message.id': event.event_id,
        },
      },
      parentContext,
    );
    const spanContext = span.spanContext();
    let stored = metadata;
    // A valid context (a recording span, or the continued one without an SDK) travels with the event.
    if (!fixed && this.#traceKey !== NO_METADATA_KEY && isSpanContextValid(spanContext)) {
      const carrier: JsonObject = { traceparent: formatTraceparent(spanContext) };
      const state = spanContext.traceState?.serialize();
      if (state) carrier.tracestate = state;
      stored = { ...metadata, [this.#traceKey]: carrier };
    }
    return {
      metadata: stored,
      settled: (error?: unknown) => {
        const seconds = (performance.now() - start) / 1000;
        if (error === undefined) {
          span.end();
          send.stored++;
          this.#publishDuration.record(seconds, send.attributes);
          return;
        }
        const type = errorType(error);
        failed(span, error);
        span.end();
        send.failed.set(type, (send.failed.get(type) ?? 0) + 1);
        this.#publishDuration.record(seconds, { ...send.attributes, 'error.type': type });
      },
    };
  }

  #sendFigures(destination: DestinationAttributes): SendFigures {
    let send = this.#sends.get(destination);
    if (send === undefined) {
      send = {
        attributes: Object.freeze({ 'messaging.system': SYSTEM, 'messaging.operation.name': 'send', ...destination }),
        spanName: `send ${destination['messaging.destination.template']}`,
        stored: 0,
        failed: new Map(),
      };
      this.#sends.set(destination, send);
    }
    return send;
  }

  connectionOpened(kind: ConnectionKind): void {
    this.#connections.add(1, kindAttributes(kind));
  }

  connectionClosed(kind: ConnectionKind): void {
    this.#connections.add(-1, kindAttributes(kind));
  }

  connectionRefused(kind: ConnectionKind, reason: string): void {
    this.#refused.add(1, { ...kindAttributes(kind), 'replayrail.reason': reason });
  }

  delivered(channel: string, count: number): void {
    this.#delivered.add(count, this.#destinations.attributes(channel));
  }

  replayed(channel: string, count: number): void {
    this.#replayed.add(count, this.#destinations.attributes(channel));
  }

  caughtUp(channel: string, seconds: number): void {
    this.#catchUp.record(seconds, this.#destinations.attributes(channel));
  }

  snapshotRead(channel: string, events: number, seconds: number): void {
    const attributes = this.#destinations.attributes(channel);
    this.#snapshotEvents.record(events, attributes);
    this.#snapshotDuration.record(seconds, attributes);
  }

  stateKeys(channel: string, keys: number): void {
    // One value per destination: destinations are bounded (templates), so is this map.
    this.#stateKeys.set(this.#destinations.attributes(channel), keys);
  }

  historyLost(channel: string, reason: 'replay_window_expired' | 'stream_reset'): void {
    this.#historyLost.add(1, { ...this.#destinations.attributes(channel), 'replayrail.reason': reason });
  }

  slowConsumer(channel: string): void {
    this.#slow.add(1, this.#destinations.attributes(channel));
  }

  storeFailed(operation: string, code: string): void {
    this.#storeErrors.add(1, { 'replayrail.store.operation': operation, 'error.type': code });
  }

  requestAborted(method: string): void {
    this.#aborted.add(1, { 'http.request.method': method });
  }

  consumer(group: string, name: string): ConsumerTelemetry {
    return new OpenTelemetryConsumer(this.#forConsumers, group, name);
  }

  rpcCall(call: RpcCallInfo): RpcScope {
    return this.#rpc.scope(call, SpanKind.CLIENT, context.active());
  }

  rpcServe(call: RpcCallInfo, parent: TraceCarrier | undefined): RpcScope {
    const remote = parent === undefined ? undefined : remoteContext(parent);
    const parentContext = remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
    return this.#rpc.scope(call, SpanKind.SERVER, parentContext);
  }

  rpcExpired(call: RpcCallInfo): void {
    this.#rpc.expired(call);
  }

  #observeRails(): void {
    const subscriptions = this.#meter.createObservableUpDownCounter('replayrail.subscriptions', {
      unit: '{subscription}',
      description: 'Subscriptions that have not ended (catching up or live).',
    });
    const channels = this.#meter.createObservableUpDownCounter('replayrail.channels.live', {
      unit: '{channel}',
      description: 'Channels with a live read path here (one per channel, however many subscribers).',
    });
    this.#meter.addBatchObservableCallback(
      (result) => {
        let open = 0;
        let live = 0;
        for (const rail of this.#rails) {
          open += rail.subscriptions;
          live += rail.liveChannels;
        }
        result.observe(subscriptions, open);
        result.observe(channels, live);
      },
      [subscriptions, channels],
    );
  }

  #observeConsumers(): void {
    const description = (what: string) => ({ unit: '{message}', description: what });
    const inFlight = this.#meter.createObservableUpDownCounter(
      'replayrail.consumer.in_flight',
      description('Entries consumers hold now (running, fetched ahead, waiting to run again).'),
    );
    const pending = this.#meter.createObservableUpDownCounter(
      'replayrail.consumer.pending',
      description('Entries delivered to a group and not acknowledged, as the store sees it.'),
    );
    const lag = this.#meter.createObservableUpDownCounter(
      'replayrail.consumer.lag',
      description('Entries of a channel its group has not read yet.'),
    );
    const dead = this.#meter.createObservableUpDownCounter(
      'replayrail.consumer.dead_letters',
      description("Entries in a group's dead letters."),
    );
    this.#meter.addBatchObservableCallback(
      async (result) => {
        const held = new Map<string, number>();
        // Per group and channel template; a channel read by two consumers of one group counts once.
        const sums = new Map<string, { attributes: Attributes; pending: number; lag: number; dead: number }>();
        const counted = new Set<string>();
        for (const [consumer, group] of this.#consumers) {
          held.set(group, (held.get(group) ?? 0) + consumer.inFlight);
          let stats: Awaited<ReturnType<ConsumerFigures['stats']>>;
          try {
            stats = await consumer.stats();
          } catch {
            continue; // the store is down: those figures are missing from this collection
          }
          for (const { channel, group: info } of stats) {
            if (info === null || counted.has(`${group}\u0000${channel}`)) continue;
            counted.add(`${group}\u0000${channel}`);
            const attributes = { 'messaging.consumer.group.name': group, ...this.#destinations.attributes(channel) };
            const key = JSON.stringify(attributes);
            const sum = sums.get(key) ?? { attributes, pending: 0, lag: 0, dead: 0 };
            sum.pending += info.pending;
            sum.lag += info.lag ?? 0;
            sum.dead += info.deadLetters;
            sums.set(key, sum);
          }
        }
        for (const [group, count] of held) result.observe(inFlight, count, { 'messaging.consumer.group.name': group });
        for (const sum of sums.values()) {
          result.observe(pending, sum.pending, sum.attributes);
          result.observe(lag, sum.lag, sum.attributes);
          result.observe(dead, sum.dead, sum.attributes);
        }
      },
      [inFlight, pending, lag, dead],
    );
  }
}

/**
 * Calls between services (`@replayrail/rpc`), with the OpenTelemetry RPC
 * conventions: a CLIENT span on the caller, a SERVER span on the server continuing
 * the caller's trace, `rpc.system` `jsonrpc`, `rpc.service`, `rpc.method`, and
 * `rpc.jsonrpc.error_code` on an error; their durations; and the calls a server did
 * not start because their caller had given up. Methods come from contracts: the
 * attribute sets are bounded.
 */
class RpcInstruments {
  readonly #tracer: Tracer;
  readonly #clientDuration: Histogram;
  readonly #serverDuration: Histogram;
  readonly #expired: Counter;
  readonly #attributes = new Map<string, Attributes>();

  constructor(tracer: Tracer, meter: Meter) {
    this.#tracer = tracer;
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } };
    this.#clientDuration = meter.createHistogram('rpc.client.call.duration', {
      ...seconds,
      description: 'How long calls to other services took, from sending to the answer (or giving up).',
    });
    this.#serverDuration = meter.createHistogram('rpc.server.call.duration', {
      ...seconds,
      description: 'How long this server took to handle calls.',
    });
    this.#expired = meter.createCounter('replayrail.rpc.expired', {
      unit: '{call}',
      description: "Calls a server did not start: their caller's deadline had passed.",
    });
  }

  #of(call: RpcCallInfo): Attributes {
    const key = `${call.service}.${call.method}`;
    let attributes = this.#attributes.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze({ 'rpc.system': 'jsonrpc', 'rpc.service': call.service, 'rpc.method': call.method });
      this.#attributes.set(key, attributes);
    }
    return attributes;
  }

  scope(call: RpcCallInfo, kind: SpanKind, parent: ReturnType<typeof context.active>): RpcScope {
    const start = performance.now();
    const attributes = this.#of(call);
    const span = this.#tracer.startSpan(
      `${call.service}/${call.method}`,
      { kind, attributes: { ...attributes, 'rpc.jsonrpc.version': '2.0' } },
      parent,
    );
    const spanContext = span.spanContext();
    const active = trace.setSpan(parent, span);
    const state = spanContext.traceState?.serialize();
    const carrier = isSpanContextValid(spanContext)
      ? { traceparent: formatTraceparent(spanContext), ...(state && { tracestate: state }) }
      : undefined;
    const duration = kind === SpanKind.CLIENT ? this.#clientDuration : this.#serverDuration;
    return {
      carrier,
      run: (work) => context.with(active, work),
      settled: (error?: unknown) => {
        const seconds = (performance.now() - start) / 1000;
        if (error === undefined) {
          span.end();
          duration.record(seconds, attributes);
          return;
        }
        const code = isReplayRailError(error, 'rpc_error') ? (error as { rpcCode?: number }).rpcCode : undefined;
        failed(span, error);
        if (code !== undefined) span.setAttribute('rpc.jsonrpc.error_code', code);
        span.end();
        duration.record(seconds, {
          ...attributes,
          'error.type': errorType(error),
          ...(code !== undefined && { 'rpc.jsonrpc.error_code': code }),
        });
      },
    };
  }

  expired(call: RpcCallInfo): void {
    this.#expired.add(1, this.#of(call));
  }
}

/** What publishes to one destination report: their attributes, their span's name, their outcomes. */
interface SendFigures {
  readonly attributes: Attributes;
  readonly spanName: string;
  stored: number;
  /** By error type. */
  readonly failed: Map<string, number>;
}

const KIND_ATTRIBUTES = new Map<string, Attributes>();
function kindAttributes(kind: ConnectionKind): Attributes {
  const key = `${kind.transport} ${kind.endpoint}`;
  let attributes = KIND_ATTRIBUTES.get(key);
  if (attributes === undefined) {
    attributes = Object.freeze({ 'replayrail.transport': kind.transport, 'replayrail.endpoint': kind.endpoint });
    KIND_ATTRIBUTES.set(key, attributes);
  }
  return attributes;
}

/** The instruments and settings every consumer's reporter shares. */
interface ConsumerInstruments {
  readonly tracer: Tracer;
  readonly destinations: Destinations;
  readonly traceKey: string;
  /** Running consumers, by their group, for the observed figures. */
  readonly consumers: Map<ConsumerFigures, string>;
  readonly consumed: Counter;
  readonly processDuration: Histogram;
  readonly deadLettered: Counter;
}

class OpenTelemetryConsumer implements ConsumerTelemetry {
  readonly #parts: ConsumerInstruments;
  readonly #group: string;
  readonly #name: string;
  #figures: ConsumerFigures | undefined;

  constructor(parts: ConsumerInstruments, group: string, name: string) {
    this.#parts = parts;
    this.#group = group;
    this.#name = name;
  }

  received(channel: string, count: number): void {
    if (count === 0) return;
    this.#parts.consumed.add(count, {
      'messaging.system': SYSTEM,
      'messaging.operation.name': 'receive',
      'messaging.consumer.group.name': this.#group,
      ...this.#parts.destinations.attributes(channel),
    });
  }

  async handling(event: StoredEvent, attempt: number, run: () => unknown): Promise<void> {
    const { tracer, destinations, traceKey, processDuration } = this.#parts;
    const destination = destinations.attributes(event.channel);
    const created = traceKey === NO_METADATA_KEY ? undefined : remoteContext(event.metadata[traceKey]);
    const links: Link[] = created === undefined ? [] : [{ context: created }];
    const span = tracer.startSpan(
      `process ${destination['messaging.destination.template']}`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          'messaging.system': SYSTEM,
          'messaging.operation.name': 'process',
          'messaging.operation.type': 'process',
          'messaging.destination.name': event.channel,
          'messaging.consumer.group.name': this.#group,
          'messaging.message.id': event.event_id,
          'messaging.client.id': this.#name,
          'replayrail.cursor': event.id,
          'replayrail.attempt': attempt,
        },
      },
      // In the event's trace (one trace from the request that published it to its
      // handlers, as for a single message the conventions allow), and linked to it.
      created === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, created),
    );
    const start = performance.now();
    const attributes: Attributes = {
      'messaging.system': SYSTEM,
      'messaging.operation.name': 'process',
      'messaging.consumer.group.name': this.#group,
      ...destination,
    };
    try {
      await context.with(trace.setSpan(context.active(), span), run);
    } catch (error) {
      failed(span, error);
      attributes['error.type'] = errorType(error);
      throw error;
    } finally {
      span.end();
      processDuration.record((performance.now() - start) / 1000, attributes);
    }
  }

  deadLettered(channel: string): void {
    this.#parts.deadLettered.add(1, {
      'messaging.consumer.group.name': this.#group,
      ...this.#parts.destinations.attributes(channel),
    });
  }

  started(figures: ConsumerFigures): void {
    this.#figures = figures;
    this.#parts.consumers.set(figures, this.#group);
  }

  stopped(): void {
    if (this.#figures !== undefined) this.#parts.consumers.delete(this.#figures);
    this.#figures = undefined;
  }
}
