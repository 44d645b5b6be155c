import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ReplayRail } from '@replayrail/core';
import { RpcError } from '@replayrail/core/errors';
import { openTelemetry } from '@replayrail/core/opentelemetry';
import { MemoryEventStore } from '@replayrail/store-memory';
import { CollectingReader, metricPoints } from '@replayrail/testkit/metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from './client.js';
import { RpcServer } from './server.js';
import { arithContract } from './test-support/contracts/arith.js';

// The calls' telemetry seen through the OpenTelemetry SDK's in-memory exporters:
// one trace from the caller's span through the client span to the server span,
// the RPC semantic-convention attributes, both durations, and the calls a server
// dropped because their caller had given up.

// Each point of `name` as [attributes, value] (histograms: their count).
const points = (metrics: Parameters<typeof metricPoints>[0], name: string) =>
  metricPoints(metrics, name).map((point) => [point.attributes, point.value]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RPC telemetry (OpenTelemetry)', () => {
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => void context.setGlobalContextManager(contextManager.enable()));
  afterAll(() => {
    contextManager.disable();
    context.disable();
  });

  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  async function world() {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const rail = new ReplayRail({
      store: new MemoryEventStore(),
      config: { readBlockMs: 100 },
      telemetry: openTelemetry({ tracerProvider, meterProvider }),
    });
    const seen: { traceId: string | undefined; spanId: string | undefined }[] = [];
    const server = new RpcServer({ rail, onError: () => {} }).serve(arithContract, {
      add: ({ a, b }) => {
        const span = trace.getActiveSpan()?.spanContext();
        seen.push({ traceId: span?.traceId, spanId: span?.spanId });
        return { sum: a + b };
      },
      slowAdd: async ({ a, b, sleepMs }) => {
        await sleep(sleepMs);
        return { sum: a + b };
      },
      divide: () => {
        throw new RpcError(-32000, 'division by zero');
      },
      echoText: ({ text }) => ({ text }),
      describe: ({ orderId }) => ({ orderId, lines: [], note: null }),
      ping: () => {},
    });
    const client = new RpcClient({ rail, onError: () => {} });
    stops.push(async () => {
      await client.stop();
      await server.stop({ graceMs: 0 });
      await rail.close();
    });
    return { exporter, tracerProvider, reader, server, client, seen, arith: client.proxy(arithContract) };
  }

  it('puts the client span, the server span and the handler in the caller’s trace', async () => {
    const { exporter, tracerProvider, server, client, seen, arith } = await world();
    await server.start();
    await client.start();
    const caller = tracerProvider.getTracer('test');
    const callerSpan = caller.startSpan('checkout');
    await context.with(trace.setSpan(context.active(), callerSpan), () => arith.add({ a: 1, b: 2 }));
    callerSpan.end();
    await tracerProvider.forceFlush();

    const spans = exporter.getFinishedSpans();
    const clientSpan = spans.find((span) => span.kind === SpanKind.CLIENT);
    const serverSpan = spans.find((span) => span.kind === SpanKind.SERVER);
    const traceId = callerSpan.spanContext().traceId;
    expect(clientSpan?.name).toBe('arith/add');
    expect(clientSpan?.spanContext().traceId).toBe(traceId);
    expect(clientSpan?.parentSpanContext?.spanId).toBe(callerSpan.spanContext().spanId);
    expect(serverSpan?.name).toBe('arith/add');
    expect(serverSpan?.spanContext().traceId).toBe(traceId);
    expect(serverSpan?.parentSpanContext?.spanId).toBe(clientSpan?.spanContext().spanId);
    for (const span of [clientSpan, serverSpan]) {
      expect(span?.attributes).toMatchObject({
        'rpc.system': 'jsonrpc',
        'rpc.service': 'arith',
        'rpc.method': 'add',
        'rpc.jsonrpc.version': '2.0',
      });
    }
    // The handler ran inside the server span.
    expect(seen).toEqual([{ traceId, spanId: serverSpan?.spanContext().spanId }]);
  });

  it('marks an answered error with its code, records both durations, and counts calls expired unstarted', async () => {
    const { exporter, tracerProvider, reader, server, client, arith } = await world();
    await client.start();
    // Sent with no server running and a short deadline: the server, once up, drops it.
    await arith.add({ a: 1, b: 1 }, { timeoutMs: 50 }).catch(() => {});
    await server.start();
    await arith.divide({ a: 1, b: 0 }).catch(() => {});
    await arith.add({ a: 2, b: 2 });
    await tracerProvider.forceFlush();

    const failed = exporter
      .getFinishedSpans()
      .filter((span) => span.name === 'arith/divide')
      .map((span) => [span.kind, span.status.code, span.attributes['rpc.jsonrpc.error_code']]);
    expect(failed).toEqual(
      expect.arrayContaining([
        [SpanKind.CLIENT, SpanStatusCode.ERROR, -32000],
        [SpanKind.SERVER, SpanStatusCode.ERROR, -32000],
      ]),
    );
    const { resourceMetrics } = await reader.collect();
    const method = (name: string) => ({ 'rpc.system': 'jsonrpc', 'rpc.service': 'arith', 'rpc.method': name });
    const answeredError = { ...method('divide'), 'error.type': 'rpc_error', 'rpc.jsonrpc.error_code': -32000 };
    expect(points(resourceMetrics, 'rpc.client.call.duration')).toEqual(
      expect.arrayContaining([
        [method('add'), 1],
        [{ ...method('add'), 'error.type': 'rpc_timeout' }, 1],
        [answeredError, 1],
      ]),
    );
    expect(points(resourceMetrics, 'rpc.server.call.duration')).toEqual(
      expect.arrayContaining([
        [method('add'), 1],
        [answeredError, 1],
      ]),
    );
    expect(points(resourceMetrics, 'replayrail.rpc.expired')).toEqual([[method('add'), 1]]);
  });
});
