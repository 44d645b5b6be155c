/**
 * @module
 * The demo's OpenTelemetry SDK: metrics read by `GET /metrics` in the Prometheus text
 * format, and a tracer so every event carries a trace context (the timeline shows its
 * trace ID; an order's ticket, published inside the printer's handler, is in the
 * order's trace). Spans are not exported anywhere: the demo has no collector.
 */

import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { openTelemetry } from '@replayrail/core/opentelemetry';
import type { Telemetry } from '@replayrail/core/telemetry';

export interface DemoTelemetry {
  readonly telemetry: Telemetry;
  /** The metrics now, in the Prometheus text format (version 0.0.4). */
  metricsText(): Promise<string>;
  shutdown(): Promise<void>;
}

// The handler's context must follow its awaits for the ticket to join the order's
// trace: one context manager per process, enabled once.
let contextManager: AsyncLocalStorageContextManager | undefined;

export function startTelemetry(): DemoTelemetry {
  if (contextManager === undefined) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  // Read on demand by /metrics (preventServerStart: no port of its own).
  const reader = new PrometheusExporter({ preventServerStart: true });
  // Named, so /metrics says whose they are (target_info{service_name="replayrail-demo"}).
  const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': 'replayrail-demo' }));
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const tracerProvider = new TracerProvider({ resource });
  const serializer = new PrometheusSerializer();
  // Restaurants are per ID (`restaurant:123:orders`): the default template keeps
  // their labels bounded (`restaurant:{id}:orders`).
  const telemetry = openTelemetry({ meterProvider, tracerProvider });
  return {
    telemetry,
    async metricsText() {
      const { resourceMetrics } = await reader.collect();
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}
