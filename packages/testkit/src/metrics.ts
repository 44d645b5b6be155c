/**
 * @module
 * Metric points as a test reads them: a reader the test collects from when it asks
 * (cumulative), and the points of one instrument with their attributes.
 */

import { AggregationTemporality, DataPointType, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** A metric reader that exports nothing: `await reader.collect()` when the test wants the points. */
export class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One point: its value (a histogram's: its count, with its sum beside it) and attributes. */
export interface MetricPoint {
  readonly value: number;
  /** A histogram's sum; absent on other instruments. */
  readonly sum?: number;
  readonly attributes: Record<string, unknown>;
}

/** Every point of the instrument `name`. */
export function metricPoints(metrics: ResourceMetrics, name: string): MetricPoint[] {
  return metrics.scopeMetrics.flatMap((scope) =>
    scope.metrics
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) =>
        metric.dataPoints.map((point): MetricPoint => {
          if (metric.dataPointType !== DataPointType.HISTOGRAM) {
            return { value: point.value as number, attributes: point.attributes };
          }
          const { count, sum } = point.value as { count: number; sum: number };
          return { value: count, sum, attributes: point.attributes };
        }),
      ),
  );
}
