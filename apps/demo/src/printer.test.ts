import { ReplayRail } from '@replayrail/core';
import { parseTraceparent } from '@replayrail/core/trace-context';
import { MemoryEventStore } from '@replayrail/store-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kitchenChannel, ordersChannel, PRINTER_GROUP, type Printer, startPrinter } from './printer.js';
import { startTelemetry } from './telemetry.js';
import { newTraceId, newTraceparent } from './traceparent.js';

// The ticket printer on the memory store: what it prints, that a second run of an
// order stores no second ticket, and that a poison order ends in the dead letters.
describe('the ticket printer', () => {
  let rail: ReplayRail;
  let printers: Printer[];
  const orders = ordersChannel('1');
  const kitchen = kitchenChannel('1');
  const tickets = async () => (await rail.replay(kitchen)).events;
  const start = async (name: string, options: { printMs?: number; claimIdleMs?: number } = {}) => {
    const printer = await startPrinter(rail, { restaurant: '1', name, printMs: 10, retryMs: 10, ...options });
    printers.push(printer);
    return printer;
  };

  // Traced as in the demo: the ticket, published in the printer's handler, joins the order's trace.
  const telemetry = startTelemetry();
  beforeEach(() => {
    rail = new ReplayRail({ store: new MemoryEventStore(), telemetry: telemetry.telemetry });
    printers = [];
  });
  afterEach(async () => {
    for (const printer of printers) await printer.stop(0);
    await rail.close();
  });

  it('prints each confirmed order once, as a ticket that names its printer, attempt, cause, correlation and trace', async () => {
    const traceId = newTraceId();
    await rail.publish({ channel: orders, type: 'order.created', payload: { order_id: 'ord_1' } });
    const confirmed = await rail.publish({
      channel: orders,
      type: 'order.confirmed',
      payload: { order_id: 'ord_1', items: [{ name: 'Crème brûlée', qty: 2 }] },
      metadata: { correlation_id: 'req_1' },
      trace: { traceparent: newTraceparent(traceId) },
    });
    await start('printer-a');
    await vi.waitFor(async () => expect(await tickets()).toHaveLength(1));
    const [ticket] = await tickets();
    expect(ticket).toMatchObject({
      type: 'kitchen.ticket.created',
      event_id: `ticket-${confirmed.id}`,
      payload: { order_id: 'ord_1', printed_by: 'printer-a', attempt: 1, items: [{ name: 'Crème brûlée', qty: 2 }] },
      actor: { type: 'service', id: 'printer-a' },
      metadata: { correlation_id: 'req_1', causation_id: confirmed.event_id, source: 'ticket-printer' },
    });
    const context = ticket?.metadata.trace_context as { traceparent: string } | undefined;
    expect(parseTraceparent(context?.traceparent)?.traceId).toBe(traceId);
    await vi.waitFor(async () => expect((await rail.group(orders, PRINTER_GROUP).info())?.pending).toBe(0));
    expect(await tickets()).toHaveLength(1);
  });

  it('stores no second ticket when an order runs again after its ticket was published', async () => {
    const confirmed = await rail.publish({ channel: orders, type: 'order.confirmed', payload: { order_id: 'ord_1' } });
    // As if a printer published this ticket and died before its acknowledgement.
    await rail.publish({
      channel: kitchen,
      type: 'kitchen.ticket.created',
      payload: { order_id: 'ord_1', printed_by: 'printer-dead', attempt: 1 },
      eventId: `ticket-${confirmed.id}`,
    });
    await start('printer-b');
    await vi.waitFor(async () =>
      expect((await rail.group(orders, PRINTER_GROUP).info())?.lastDelivered).toBe(confirmed.id),
    );
    await vi.waitFor(async () => expect((await rail.group(orders, PRINTER_GROUP).info())?.pending).toBe(0));
    expect((await tickets()).map((ticket) => ticket.payload.printed_by)).toEqual(['printer-dead']);
    expect(await rail.group(orders, PRINTER_GROUP).deadLetters()).toEqual([]);
  });

  it('gives up on an order it cannot print after 3 attempts: a dead letter saying why', async () => {
    const poison = await rail.publish({
      channel: orders,
      type: 'order.confirmed',
      payload: { order_id: 'ord_poison', items: [{ name: 'Birthday cake 🎂', qty: 1 }] },
    });
    await start('printer-c');
    await vi.waitFor(async () => expect(await rail.group(orders, PRINTER_GROUP).deadLetters()).toHaveLength(1));
    const [dead] = await rail.group(orders, PRINTER_GROUP).deadLetters();
    expect(dead).toMatchObject({
      origin: poison.id,
      attempts: 3,
      errorName: 'UnprintableOrderError',
      consumer: 'printer-c',
    });
    expect(dead?.errorMessage).toContain('U+1F382');
    expect(await tickets()).toEqual([]);
  });

  it('a printer stopped without grace mid-ticket publishes nothing; the next claims the order and prints it on attempt 2', async () => {
    const first = await start('printer-1', { printMs: 60_000, claimIdleMs: 100 });
    const confirmed = await rail.publish({ channel: orders, type: 'order.confirmed', payload: { order_id: 'ord_1' } });
    await vi.waitFor(async () => expect((await rail.group(orders, PRINTER_GROUP).info())?.pending).toBe(1));
    await first.stop(0);
    await start('printer-2', { claimIdleMs: 100 });
    await vi.waitFor(async () => expect(await tickets()).toHaveLength(1));
    const [ticket] = await tickets();
    expect(ticket).toMatchObject({
      event_id: `ticket-${confirmed.id}`,
      payload: { order_id: 'ord_1', printed_by: 'printer-2', attempt: 2 },
    });
  });
});
