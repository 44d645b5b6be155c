import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { SpanKind } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ReplayRail } from '@replayrail/core';
import { openTelemetry } from '@replayrail/core/opentelemetry';
import { MemoryEventStore } from '@replayrail/store-memory';
import { CollectingReader, metricPoints } from '@replayrail/testkit/metrics';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { durableStreams } from './index.js';

const sum = (points: ReturnType<typeof metricPoints>) => points.reduce((total, { value }) => total + value, 0);

describe('durable streams telemetry (OpenTelemetry)', () => {
  it("traces an append as a publish continuing the request's trace, and counts replayed, delivered, SSE connections and 410s", async () => {
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const rail = new ReplayRail({
      store: new MemoryEventStore(),
      telemetry: openTelemetry({ meterProvider, tracerProvider }),
    });
    const routes = durableStreams(rail, { longPollTimeoutMs: 2_000, retention: { maxLength: 2 } });
    const app = new Hono();
    app.route('/', routes.app);
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stream/${path}`;
    try {
      const json = { 'content-type': 'application/json' };
      expect((await fetch(url('t'), { method: 'PUT', headers: json })).status).toBe(201);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const appended = await fetch(url('t'), {
        method: 'POST',
        headers: { ...json, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        body: '[{"n":1},{"n":2}]',
      });
      expect(appended.status).toBe(204);
      const first = await fetch(url('t?offset=-1'));
      expect(await first.json()).toEqual([{ n: 1 }, { n: 2 }]);
      const tail = first.headers.get('stream-next-offset') as string;

      // A long-poll at the tail gets the next append: delivered, not replayed.
      const polling = fetch(url(`t?offset=${tail}&live=long-poll`));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await fetch(url('t'), { method: 'POST', headers: json, body: '{"n":3}' });
      expect(await (await polling).json()).toEqual([{ n: 3 }]);

      // An SSE read is a connection while it is open.
      const sse = await fetch(url('t?offset=-1&live=sse'));
      const sseReader = (sse.body as ReadableStream<Uint8Array>).getReader();
      await sseReader.read();
      const open = metricPoints((await reader.collect()).resourceMetrics, 'replayrail.connections');
      expect(open).toMatchObject([
        { value: 1, attributes: { 'replayrail.transport': 'sse', 'replayrail.endpoint': 'durable-stream' } },
      ]);
      await sseReader.cancel();

      // Streams keep 2 messages here: a reader after the first of four lost the second.
      await fetch(url('lost'), { method: 'PUT', headers: json });
      const afterFirst = (await fetch(url('lost'), { method: 'POST', headers: json, body: '{"n":1}' })).headers.get(
        'stream-next-offset',
      );
      for (const n of [2, 3, 4]) await fetch(url('lost'), { method: 'POST', headers: json, body: `{"n":${n}}` });
      expect((await fetch(url(`lost?offset=${afterFirst}`))).status).toBe(410);

      await tracerProvider.forceFlush();
      const producer = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.PRODUCER);
      expect(producer).toHaveLength(6);
      expect(producer[0]?.spanContext().traceId).toBe(traceId);
      expect(producer[0]?.attributes['messaging.destination.name']).toBe('t');
      const { resourceMetrics } = await reader.collect();
      expect(sum(metricPoints(resourceMetrics, 'messaging.client.operation.duration'))).toBe(6);
      expect(metricPoints(resourceMetrics, 'replayrail.history_lost')).toMatchObject([
        { value: 1, attributes: { 'replayrail.reason': 'replay_window_expired' } },
      ]);
      expect(sum(metricPoints(resourceMetrics, 'replayrail.events.delivered'))).toBeGreaterThanOrEqual(1);
      expect(sum(metricPoints(resourceMetrics, 'replayrail.events.replayed'))).toBeGreaterThanOrEqual(2);
    } finally {
      await routes.close();
      await new Promise((resolve) => {
        server.close(resolve);
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await rail.close();
      await meterProvider.shutdown();
    }
  });
});
