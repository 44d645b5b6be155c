/**
 * @module
 * The OpenTelemetry SDK set up as a deployment has it, with exporters that discard
 * what they are handed: a `MeterProvider` whose `PeriodicExportingMetricReader`
 * collects every second (so collection is part of the cost), a `TracerProvider` with
 * a `BatchSpanProcessor`, and the `AsyncLocalStorageContextManager` registered as
 * the global context manager. What it yields is `openTelemetry()` on those providers,
 * the `telemetry` to give `new ReplayRail`.
 */

import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  DataPointType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { openTelemetry } from '@replayrail/core/opentelemetry';
import type { Telemetry } from '@replayrail/core/telemetry';

/** How often the metric reader collects and exports. */
export const METRIC_INTERVAL_MS = 1_000;

// Counts the spans it is handed, and keeps nothing.
class DiscardingSpanExporter implements SpanExporter {
  spans = 0;

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans += spans.length;
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}

// Keeps a reference to the last collection (to read a counter from afterwards), and nothing else.
class DiscardingMetricExporter implements PushMetricExporter {
  exports = 0;
  last: ResourceMetrics | undefined;

  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    this.exports++;
    this.last = metrics;
    done({ code: ExportResultCode.SUCCESS });
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

export interface OtelSdk {
  /** `openTelemetry({ meterProvider, tracerProvider })` on this SDK. */
  readonly telemetry: Telemetry;
  /** Spans handed to the span exporter so far. */
  spans(): number;
  /** Metric collections handed to the metric exporter so far. */
  metricExports(): number;
  /** The sum of a counter's points in the last collection exported (0 when it has none). */
  counted(name: string): number;
  /** Exports what is buffered: pending spans, and a collection of every metric. */
  flush(): Promise<void>;
  /** Flushes, stops both providers and unregisters the context manager. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK; one at a time per process (it registers the global context
 * manager). `tracing: false` leaves the tracer provider out: the telemetry's spans are
 * then the API's no-op ones, and only metrics are recorded.
 */
export function startOtelSdk({ tracing = true }: { tracing?: boolean } = {}): OtelSdk {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager)) throw new Error('a global context manager is registered');
  const metricExporter = new DiscardingMetricExporter();
  const spanExporter = new DiscardingSpanExporter();
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: METRIC_INTERVAL_MS }),
    ],
  });
  const tracerProvider = tracing
    ? new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: spanExporter })] })
    : undefined;
  return {
    telemetry: openTelemetry(tracerProvider === undefined ? { meterProvider } : { meterProvider, tracerProvider }),
    spans: () => spanExporter.spans,
    metricExports: () => metricExporter.exports,
    counted(name) {
      let sum = 0;
      for (const scope of metricExporter.last?.scopeMetrics ?? []) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name !== name || metric.dataPointType !== DataPointType.SUM) continue;
          for (const point of metric.dataPoints) sum += point.value;
        }
      }
      return sum;
    },
    async flush() {
      await Promise.all([tracerProvider?.forceFlush(), meterProvider.forceFlush()]);
    },
    async shutdown() {
      await Promise.all([tracerProvider?.shutdown(), meterProvider.shutdown()]);
      context.disable(); // also disables the manager
    },
  };
}
