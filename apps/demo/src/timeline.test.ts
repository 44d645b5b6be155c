import { ReplayRail } from '@replayrail/core';
import { parseTraceparent } from '@replayrail/core/trace-context';
import { MemoryEventStore } from '@replayrail/store-memory';
import { describe, expect, it } from 'vitest';
import { mergeByCursor, orderCorrelation, orderTimeline, type TimelineEntry } from './timeline.js';
import { newTraceId, newTraceparent, traceIdOf } from './traceparent.js';

describe('mergeByCursor', () => {
  it('merges per-channel lists into cursor order, comparing cursors as numbers', () => {
    const orders = [
      { id: '9-0', channel: 'r:orders' },
      { id: '10-0', channel: 'r:orders' },
      { id: '10-2', channel: 'r:orders' },
    ];
    const kitchen = [
      { id: '9-1', channel: 'r:kitchen' },
      { id: '10-1', channel: 'r:kitchen' },
      { id: '100-0', channel: 'r:kitchen' },
    ];
    expect(mergeByCursor([orders, kitchen]).map((event) => event.id)).toEqual([
      '9-0',
      '9-1',
      '10-0',
      '10-1',
      '10-2',
      '100-0',
    ]);
  });

  it('orders the same cursor in two channels by channel name, whatever order the lists come in', () => {
    const a = [{ id: '5-0', channel: 'r:orders' }];
    const b = [{ id: '5-0', channel: 'r:kitchen' }];
    const expected = ['r:kitchen', 'r:orders'];
    expect(mergeByCursor([a, b]).map((event) => event.channel)).toEqual(expected);
    expect(mergeByCursor([b, a]).map((event) => event.channel)).toEqual(expected);
  });
});

describe('traceparent', () => {
  it('reads the trace ID of a valid W3C traceparent, and nothing from an invalid one', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceIdOf({ trace_context: { traceparent } })).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    for (const bad of [
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // version ff is invalid
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // all-zero trace ID
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // all-zero span ID
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // upper case
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7', // no flags
      42,
    ]) {
      expect(traceIdOf({ trace_context: { traceparent: bad } })).toBeNull();
    }
    expect(traceIdOf({})).toBeNull();
    expect(traceIdOf({ trace_context: 'x' })).toBeNull();
  });

  it('continues a trace with a span of its own', () => {
    const traceId = newTraceId();
    const first = parseTraceparent(newTraceparent(traceId));
    const second = parseTraceparent(newTraceparent(traceId));
    expect(first?.traceId).toBe(traceId);
    expect(second?.traceId).toBe(traceId);
    expect(first?.spanId).not.toBe(second?.spanId);
  });
});

describe('orderTimeline', () => {
  it("gives the order's events of every channel in cursor order, with correlation and trace IDs", async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const orders = 'restaurant:1:orders';
    const kitchen = 'restaurant:1:kitchen';
    const traceparent = newTraceparent(newTraceId());
    // A millisecond apart: two channels' cursors of the same millisecond have no order of their own.
    const publish = async (channel: string, type: string, orderId: string, metadata: object = {}) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return rail.publish({
        channel,
        type,
        payload: { order_id: orderId },
        actor: { type: 'waiter', id: 'usr_1' },
        metadata,
      });
    };
    const mine = [
      await publish(orders, 'order.created', 'ord_1', { correlation_id: 'req_1', trace_context: { traceparent } }),
      await publish(orders, 'order.confirmed', 'ord_1', { correlation_id: 'req_1' }),
    ];
    await publish(orders, 'order.created', 'ord_2');
    mine.push(await publish(kitchen, 'order.preparing', 'ord_1'));
    await publish(kitchen, 'order.preparing', 'ord_2');
    mine.push(await publish(orders, 'order.delivered', 'ord_1'));

    const timeline = await orderTimeline(rail, [orders, kitchen], 'ord_1');
    expect(timeline.map((entry) => [entry.channel, entry.type, entry.id])).toEqual(
      mine.map((event) => [event.channel, event.type, event.id]),
    );
    expect(timeline[0]).toMatchObject({
      event_id: mine[0]?.event_id,
      created_at: mine[0]?.created_at,
      actor: { type: 'waiter', id: 'usr_1' },
      correlation_id: 'req_1',
      trace_id: parseTraceparent(traceparent)?.traceId,
    });
    expect(timeline[2]).toMatchObject({ correlation_id: null, trace_id: null });
    expect(await orderTimeline(rail, [orders, kitchen], 'ord_none')).toEqual([]);
    await rail.close();
  });
});

describe('orderCorrelation', () => {
  const entry = (correlation_id: string | null) => ({ correlation_id }) as TimelineEntry;

  it("is the first correlation the order's events name, in their order; null when none does", () => {
    expect(orderCorrelation([entry(null), entry('req_1'), entry('req_2')])).toBe('req_1');
    expect(orderCorrelation([entry(null), entry(null)])).toBeNull();
    expect(orderCorrelation([])).toBeNull();
  });
});
