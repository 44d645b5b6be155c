import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ReplayRail } from '@replayrail/core';
import { openTelemetry } from '@replayrail/core/opentelemetry';
import { keyedPolicy } from '@replayrail/core/testing';
import { CollectingReader, metricPoints } from '@replayrail/testkit/metrics';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

const values = (points: ReturnType<typeof metricPoints>) => points.map(({ value, sum }) => ({ value, sum }));

describe('keyed channel telemetry (OpenTelemetry)', () => {
  it('records snapshot sizes and durations (iterated or subscribed) and the keys a state held', async () => {
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const rail = new ReplayRail({
      store: new MemoryEventStore(),
      config: { defaultReplayLimit: 2, channels: [keyedPolicy()] },
      telemetry: openTelemetry({ meterProvider }),
    });
    for (const key of ['a', 'b', 'c', 'a']) {
      await rail.publish({ channel: 'shop:1:orders', type: 'order.status', payload: { order_id: key } });
    }
    for await (const _ of await rail.snapshot('shop:1:orders')) {
      // read to the end
    }
    const subscription = await rail.subscribe('shop:1:orders', { from: 'snapshot' });
    let seen = 0;
    for await (const _ of subscription) if (++seen === 3) break;
    expect(await rail.stateSize('shop:1:orders')).toBe(3);
    const { resourceMetrics } = await reader.collect();
    expect(values(metricPoints(resourceMetrics, 'replayrail.snapshot.events'))).toEqual([{ value: 2, sum: 6 }]);
    expect(metricPoints(resourceMetrics, 'replayrail.snapshot.duration')).toMatchObject([{ value: 2 }]);
    expect(values(metricPoints(resourceMetrics, 'replayrail.state.keys'))).toEqual([{ value: 3 }]);
    await meterProvider.shutdown();
  });
});
