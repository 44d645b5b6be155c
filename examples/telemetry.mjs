// Shown verbatim in packages/core/README.md ("Telemetry"), run by examples/readme.test.ts.
import { SpanKind } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ReplayRail } from '@replayrail/core';
import { openTelemetry } from '@replayrail/core/opentelemetry';
import { MemoryEventStore } from '@replayrail/store-memory';

// In production: an SDK with real exporters (OTLP, Prometheus), often registered
// globally; then `openTelemetry()` needs no providers.
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 60_000 });
const meterProvider = new MeterProvider({ readers: [reader] });

const rail = new ReplayRail({
  store: new MemoryEventStore(),
  telemetry: openTelemetry({ tracerProvider, meterProvider }),
});
const event = await rail.publish({
  channel: 'restaurant:123:orders',
  type: 'order.created',
  payload: { order_id: 'ord_1' },
});

await tracerProvider.forceFlush();
const [span] = spans.getFinishedSpans();
console.log(span.name, span.kind === SpanKind.PRODUCER ? '(producer)' : '');
console.log(
  event.metadata.trace_context.traceparent === `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
);

await reader.forceFlush();
const sent = metrics
  .getMetrics()
  .at(-1)
  .scopeMetrics.flatMap((scope) => scope.metrics)
  .find((metric) => metric.descriptor.name === 'messaging.client.sent.messages');
console.log(sent.dataPoints[0].value, sent.dataPoints[0].attributes['messaging.destination.template']);
await meterProvider.shutdown();
