import { context, type Span, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { type Consumer, ReplayRail, type StoredEvent } from '@replayrail/core';
import { openTelemetry } from '@replayrail/core/opentelemetry';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { connect, rawBytes, redisStoreFixture, redisUrl, type StoreFixture, storeFixture } from '@replayrail/testkit';
import { CollectingReader, metricPoints } from '@replayrail/testkit/metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from './test-support/node-app.js';

// ReplayRail's telemetry seen through the OpenTelemetry SDK's in-memory exporters,
// over the Hono adapter on a real Node server: one trace from an HTTP POST through
// publish to a consumer's handler, and the metric points a scripted scenario leaves.

// Every point of `name` (histograms: their count).
const points = (metrics: ResourceMetrics, name: string) =>
  metricPoints(metrics, name).map(({ value, attributes }) => ({ value, attributes }));

// The sum of `name`'s points whose attributes include `where`.
function total(metrics: ResourceMetrics, name: string, where: Record<string, unknown> = {}): number {
  return points(metrics, name)
    .filter((point) => Object.entries(where).every(([key, value]) => point.attributes[key] === value))
    .reduce((sum, point) => sum + point.value, 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('OpenTelemetry', () => {
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(() => {
    contextManager.disable();
    context.disable();
  });

  let app: RunningApp | undefined;
  let consumer: Consumer | undefined;
  let rail: ReplayRail | undefined;
  let fixture: StoreFixture | undefined;
  afterEach(async () => {
    await consumer?.stop({ graceMs: 0 });
    await app?.close();
    await rail?.close();
    await fixture?.dispose();
    consumer = undefined;
    app = undefined;
    rail = undefined;
    fixture = undefined;
  });

  const url = redisUrl();
  const stores: [string, () => Promise<StoreFixture>][] = [['memory', storeFixture(() => new MemoryEventStore())]];
  if (url !== null) stores.push(['Redis', redisStoreFixture(url, (client) => new RedisStreamStore({ client }))]);

  it.each(stores)(
    'traces an HTTP POST through publish to the consumer handler: one trace, producer then linked consumer span (%s store)',
    async (_, makeFixture) => {
      const exporter = new InMemorySpanExporter();
      const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
      fixture = await makeFixture();
      rail = new ReplayRail({
        store: fixture.store,
        config: { streamPrefix: fixture.prefix },
        telemetry: openTelemetry({ tracerProvider }),
      });
      app = await startApp(rail);
      const seen: { event: StoredEvent; span: Span | undefined }[] = [];
      consumer = rail.consume({
        channel: 'restaurant:42:orders',
        group: 'printer',
        from: 'earliest',
        handler: (event) => {
          seen.push({ event, span: trace.getActiveSpan() });
        },
      });
      await consumer.start();

      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const callerSpanId = '00f067aa0ba902b7';
      const response = await fetch(`${app.base}/events/restaurant:42:orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: `00-${traceId}-${callerSpanId}-01`,
          tracestate: 'vendor=abc',
        },
        body: JSON.stringify({ type: 'order.created', payload: { order_id: 'ord_1' }, metadata: { source: 'pos' } }),
      });
      expect(response.status).toBe(201);
      const posted = (await response.json()) as { event_id: string; metadata: Record<string, unknown> };
      await eventually(() => seen.length === 1, 'the handler');
      await consumer.stop();
      await tracerProvider.forceFlush();

      const spans = exporter.getFinishedSpans();
      const producer = spans.find((span) => span.kind === SpanKind.PRODUCER);
      const processing = spans.find((span) => span.kind === SpanKind.CONSUMER);
      expect(spans).toHaveLength(2);
      expect(producer?.name).toBe('send restaurant:{id}:orders');
      expect(producer?.spanContext().traceId).toBe(traceId);
      expect(producer?.parentSpanContext?.spanId).toBe(callerSpanId);
      expect(producer?.attributes).toMatchObject({
        'messaging.system': 'replayrail',
        'messaging.operation.name': 'send',
        'messaging.operation.type': 'send',
        'messaging.destination.name': 'restaurant:42:orders',
        'messaging.message.id': posted.event_id,
      });
      // The context the event carries (for a Python service too): the producer span's.
      const producerId = producer?.spanContext().spanId;
      expect(posted.metadata).toEqual({
        source: 'pos',
        trace_context: { traceparent: `00-${traceId}-${producerId}-01`, tracestate: 'vendor=abc' },
      });

      expect(processing?.name).toBe('process restaurant:{id}:orders');
      expect(processing?.spanContext().traceId).toBe(traceId);
      expect(processing?.parentSpanContext?.spanId).toBe(producerId);
      expect(processing?.links.map((link) => link.context.spanId)).toEqual([producerId]);
      expect(processing?.attributes).toMatchObject({
        'messaging.system': 'replayrail',
        'messaging.operation.name': 'process',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'restaurant:42:orders',
        'messaging.consumer.group.name': 'printer',
        'messaging.message.id': posted.event_id,
        'replayrail.attempt': 1,
      });
      // The handler ran inside the consumer span.
      expect(seen[0]?.span?.spanContext().spanId).toBe(processing?.spanContext().spanId);
    },
    30_000,
  );

  it('records the metric points of a scripted scenario: connections, a 4410, a 4408, a refusal, a dead letter', async () => {
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    rail = new ReplayRail({
      store: new MemoryEventStore(),
      config: { maxStreamLength: 5 },
      telemetry: openTelemetry({ meterProvider, channels: ['firehose'] }),
    });
    app = await startApp(rail, { maxBufferedBytes: 64 * 1024, allowedOrigins: ['http://good.example'] });
    const ws = app.base.replace('http', 'ws');
    const collect = async () => (await reader.collect()).resourceMetrics;
    const good = { origin: 'http://good.example' };

    // Three sockets, one of them closed again: two open.
    const one = connect(`${ws}/ws/room:1:chat?from=latest`, good);
    const two = connect(`${ws}/ws/room:2:chat?from=latest`, good);
    const multiplexed = connect(`${ws}/ws`, good);
    await Promise.all([one.opened, two.opened, multiplexed.opened]);
    two.ws.close();
    await two.closed;
    await eventually(() => app?.routes.connections === 2, 'the close');

    // A refusal: an origin not allowed.
    const refused = connect(`${ws}/ws/room:1:chat`, { origin: 'http://evil.example' });
    expect((await refused.closed).code).toBe(4403);

    // A 4410: a cursor into history the stream no longer keeps (it keeps 5 events).
    const first = await rail.publish({ channel: 'room:3:chat', type: 't', payload: { n: 0 } });
    for (let n = 1; n <= 10; n++) await rail.publish({ channel: 'room:3:chat', type: 't', payload: { n } });
    const expired = connect(`${ws}/ws/room:3:chat?last_event_id=${first.id}`, good);
    expect((await expired.closed).code).toBe(4410);
    // And a page asked for over HTTP from there: 410.
    expect((await fetch(`${app.base}/events/room:3:chat?after=${first.id}`)).status).toBe(410);
    // What is retained, replayed to a socket that starts at the earliest.
    const retained = (await rail.replay('room:3:chat')).events.length;
    const earliest = connect(`${ws}/ws/room:3:chat?from=earliest`, good);
    await earliest.until((frames) => frames.length === retained, 'the retained events');

    // An event stream (SSE), open while the figures are collected.
    const stream = new AbortController();
    const sse = await fetch(`${app.base}/events/room:4:chat?from=latest`, {
      headers: { accept: 'text/event-stream' },
      signal: stream.signal,
    });
    expect(sse.status).toBe(200);

    // A 4408: a reader that stops reading while big events keep coming.
    const slow = connect(`${ws}/ws/firehose?from=latest`, good);
    await slow.opened;
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(16 * 1024);
    for (let n = 0; n < 600; n++) await rail.publish({ channel: 'firehose', type: 't', payload: { n, big } });
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slow.closed).code).toBe(4408);

    // A dead letter: a poison event fails its two deliveries.
    consumer = rail.consume({
      channel: 'orders',
      group: 'printer',
      from: 'earliest',
      maxDeliveries: 2,
      backoff: { initialMs: 1, maxMs: 1 },
      onError: () => {},
      handler: (event) => {
        if (event.payload.poison === true) throw new Error('cannot print');
      },
    });
    await consumer.start();
    await rail.publish({ channel: 'orders', type: 'order.created', payload: { poison: false } });
    await rail.publish({ channel: 'orders', type: 'order.created', payload: { poison: true } });
    await eventually(
      async () => (await rail?.group('orders', 'printer').deadLetters())?.length === 1,
      'the dead letter',
    );
    await eventually(async () => total(await collect(), 'replayrail.consumer.in_flight') === 0, 'in-flight to drain');

    const metrics = await collect();
    const websocket = { 'replayrail.transport': 'websocket' };
    expect(total(metrics, 'replayrail.connections', { ...websocket, 'replayrail.endpoint': 'channel' })).toBe(2);
    expect(total(metrics, 'replayrail.connections', { ...websocket, 'replayrail.endpoint': 'multiplexed' })).toBe(1);
    expect(
      total(metrics, 'replayrail.connections', { 'replayrail.transport': 'sse', 'replayrail.endpoint': 'events' }),
    ).toBe(1);
    expect(total(metrics, 'replayrail.connections.refused', { 'replayrail.reason': 'origin_not_allowed' })).toBe(1);
    expect(total(metrics, 'replayrail.connections.refused')).toBe(1);
    // The socket's 4410 and the HTTP 410.
    expect(
      total(metrics, 'replayrail.history_lost', {
        'replayrail.reason': 'replay_window_expired',
        'messaging.destination.template': 'room:{id}:chat',
      }),
    ).toBe(2);
    expect(total(metrics, 'replayrail.history_lost')).toBe(2);
    expect(total(metrics, 'replayrail.slow_consumers', { 'messaging.destination.name': 'firehose' })).toBe(1);
    expect(total(metrics, 'replayrail.slow_consumers')).toBe(1);
    expect(total(metrics, 'messaging.client.sent.messages')).toBe(11 + 600 + 2);
    expect(total(metrics, 'messaging.client.operation.duration', { 'messaging.operation.name': 'send' })).toBe(613);
    // Two events received; a retry after a backoff is no new read.
    expect(total(metrics, 'messaging.client.consumed.messages', { 'messaging.consumer.group.name': 'printer' })).toBe(
      2,
    );
    expect(total(metrics, 'replayrail.consumer.dead_lettered', { 'messaging.consumer.group.name': 'printer' })).toBe(1);
    expect(total(metrics, 'replayrail.consumer.dead_letters', { 'messaging.destination.template': 'orders' })).toBe(1);
    expect(total(metrics, 'replayrail.consumer.pending')).toBe(0);
    expect(total(metrics, 'replayrail.consumer.lag')).toBe(0);
    // Three attempts: the good event once, the poison one twice (one error each).
    expect(total(metrics, 'messaging.process.duration')).toBe(3);
    expect(total(metrics, 'messaging.process.duration', { 'error.type': 'Error' })).toBe(2);
    // Caught up, then live: room:1, room:2, room:3 from the earliest, the firehose socket
    // and the event stream (the expired one never caught up); only room:3 replayed.
    expect(total(metrics, 'replayrail.catch_up.duration')).toBe(5);
    expect(retained).toBeGreaterThan(0);
    expect(total(metrics, 'replayrail.events.replayed')).toBe(retained);
    // The live subscribers of room:1 and room:3 (sockets) and room:4 (the event stream).
    expect(total(metrics, 'replayrail.subscriptions')).toBe(3);
    expect(total(metrics, 'replayrail.channels.live')).toBe(3);
    stream.abort();
    await eventually(
      async () => total(await collect(), 'replayrail.connections', { 'replayrail.transport': 'sse' }) === 0,
      'the stream to close',
    );
    await meterProvider.shutdown();
    one.ws.close();
    earliest.ws.close();
    multiplexed.ws.close();
  }, 60_000);

  it.each(stores)(
    'keeps idempotent retries working: the trace context is stored, but a retry need not match it (%s store)',
    async (_, makeFixture) => {
      const tracerProvider = new TracerProvider();
      fixture = await makeFixture();
      rail = new ReplayRail({
        store: fixture.store,
        config: { streamPrefix: fixture.prefix },
        telemetry: openTelemetry({ tracerProvider }),
      });
      const input = { channel: 'orders', type: 'order.created', payload: { id: 1 }, eventId: 'ord-1' };
      const first = await rail.publish(input);
      const retry = await rail.publish(input);
      expect(retry.id).toBe(first.id);
      expect(retry.metadata).toEqual(first.metadata);
      expect(first.metadata.trace_context).toMatchObject({ traceparent: expect.stringMatching(/^00-/) });
      // A different event under the same ID still conflicts.
      await expect(rail.publish({ ...input, payload: { id: 2 } })).rejects.toMatchObject({
        code: 'duplicate_event_conflict',
      });
    },
  );

  it('stores the context under the key given, or nowhere with false; without telemetry, metadata is untouched', async () => {
    const tracerProvider = new TracerProvider();
    const store = new MemoryEventStore();
    const custom = new ReplayRail({ store, telemetry: openTelemetry({ tracerProvider, traceContextKey: 'otel' }) });
    const none = new ReplayRail({ store, telemetry: openTelemetry({ tracerProvider, traceContextKey: false }) });
    const plain = new ReplayRail({ store });
    const tracer = tracerProvider.getTracer('test');
    await tracer.startActiveSpan('request', async (span) => {
      const a = await custom.publish({ channel: 'c', type: 't', payload: {}, metadata: { k: 1 } });
      expect(Object.keys(a.metadata)).toEqual(['k', 'otel']);
      const b = await none.publish({ channel: 'c', type: 't', payload: {}, metadata: { k: 1 } });
      expect(b.metadata).toEqual({ k: 1 });
      const c = await plain.publish({ channel: 'c', type: 't', payload: {}, metadata: { k: 1 } });
      expect(c.metadata).toEqual({ k: 1 });
      span.end();
    });
  });

  it("continues an outbox event's own trace context when it is published, and changes nothing in it", async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    rail = new ReplayRail({ store: new MemoryEventStore(), telemetry: openTelemetry({ tracerProvider }) });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const prepared = rail.prepareEvent({
      channel: 'orders',
      type: 'order.created',
      payload: {},
      metadata: { trace_context: { traceparent } },
    });
    const stored = await rail.publishEvent(prepared);
    expect(stored.metadata).toEqual({ trace_context: { traceparent } });
    await tracerProvider.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('records a failed publish with its error type, and a bad traceparent starts a new trace', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const store = new MemoryEventStore();
    rail = new ReplayRail({ store, telemetry: openTelemetry({ tracerProvider, meterProvider }) });
    await rail.publish({ channel: 'c', type: 't', payload: {}, trace: { traceparent: 'garbage' } });
    await store.close();
    await expect(rail.publish({ channel: 'c', type: 't', payload: {} })).rejects.toMatchObject({
      code: 'store_closed',
    });
    await tracerProvider.forceFlush();
    const [ok, failed] = exporter.getFinishedSpans();
    expect(ok?.parentSpanContext).toBeUndefined();
    expect(failed?.attributes['error.type']).toBe('store_closed');
    const metrics = (await reader.collect()).resourceMetrics;
    expect(total(metrics, 'messaging.client.sent.messages')).toBe(2);
    expect(total(metrics, 'messaging.client.sent.messages', { 'error.type': 'store_closed' })).toBe(1);
    expect(total(metrics, 'replayrail.store.errors', { 'replayrail.store.operation': 'append' })).toBe(1);
    await meterProvider.shutdown();
  });

  it('counts request bodies a client cut short or broke, reports none of them as a fault, and stores nothing (issue #20)', async () => {
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    rail = new ReplayRail({ store: new MemoryEventStore(), telemetry: openTelemetry({ meterProvider }) });
    const reported: unknown[] = [];
    app = await startApp(rail, { onError: (error) => reported.push(error) });
    const port = Number(new URL(app.base).port);
    const head = (framing: string) =>
      `POST /events/bodies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${framing}\r\n`;
    const cut = '{"type":"t","pay';
    // Ten bytes of a hundred, then the client hangs up: nobody is left to answer.
    expect(await rawBytes(port, `${head('Content-Length: 100\r\n')}${cut}`, 50)).toBe('');
    // The same, but the client only stops sending (FIN): Node answers 400 at once.
    expect(await rawBytes(port, `${head('Content-Length: 100\r\n')}${cut}`, undefined, 50)).toMatch(/^HTTP\/1\.1 400 /);
    // A chunk size that is not hex: Node answers 400 itself.
    const malformed = `${head('Transfer-Encoding: chunked\r\n')}zz\r\n${cut}\r\n0\r\n\r\n`;
    expect(await rawBytes(port, malformed, 300)).toMatch(/^HTTP\/1\.1 400 /);
    await eventually(
      async () => total((await reader.collect()).resourceMetrics, 'replayrail.requests.aborted') === 3,
      'three aborted requests',
    );
    const metrics = (await reader.collect()).resourceMetrics;
    expect(points(metrics, 'replayrail.requests.aborted')).toEqual([
      { value: 3, attributes: { 'http.request.method': 'POST' } },
    ]);
    expect(reported).toEqual([]);
    expect((await rail.replay('bodies', { after: '0-0' })).events).toEqual([]);
    // The server is still serving.
    const response = await fetch(`${app.base}/events/bodies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"t","payload":{}}',
    });
    expect(response.status).toBe(201);
    await meterProvider.shutdown();
  });
});
