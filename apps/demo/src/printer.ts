/**
 * @module
 * The ticket printer: a durable consumer (`rail.consume`, group `ticket-printer`) of
 * a restaurant's orders channel. For each `order.confirmed` it prints a ticket (a
 * pause standing for the printer's work), then publishes `kitchen.ticket.created` on
 * the kitchen channel, saying which consumer printed it and on which attempt.
 *
 * What the operator's view shows with it:
 * - a printer killed mid-ticket leaves the order pending on its name; another
 *   consumer of the group claims it after `claimIdleMs` and prints it on attempt 2;
 * - an order the printer cannot print (an item outside its code page) fails every
 *   attempt, and after `maxDeliveries` lands in the group's dead letters;
 * - the order's lineage: the ticket caused by its order.confirmed, and the marks the
 *   consumer leaves on an order.confirmed it dead-letters, or handles after a redrive.
 *
 * It answers `printer.status` too (printer-contract.ts, printer-status-server.ts):
 * what it is printing, what it printed, what its consumer holds.
 *
 * Runs in the demo's process on the memory store, and as its own process on Redis
 * (printer-process.ts).
 */

import {
  type Consumer,
  type HandlerContext,
  isReplayRailError,
  type ReplayRail,
  type StoredEvent,
} from '@replayrail/core';
import { type Item, itemsOf } from './order-items.js';
import { servePrinterStatus } from './printer-status-server.js';
import { PrinterTally } from './printer-tally.js';
import { DEFAULT_PRINTER_TIMINGS, type PrinterTimings } from './printer-timings.js';

/** The consumer group every printer joins: they share the orders, each order printed by one. */
export const PRINTER_GROUP = 'ticket-printer';

export const ordersChannel = (restaurant: string) => `restaurant:${restaurant}:orders`;
export const kitchenChannel = (restaurant: string) => `restaurant:${restaurant}:kitchen`;

/** What a printer is doing, for the operator's view. */
export type PrinterActivity =
  | { kind: 'printing'; orderId: string; attempt: number }
  | { kind: 'printed'; orderId: string; attempt: number; ticketId: string }
  | { kind: 'failed'; orderId: string; attempt: number; error: string };

/** Its timings (`printMs`, `claimIdleMs`) default to `DEFAULT_PRINTER_TIMINGS` (printer-timings.ts). */
export interface PrinterOptions extends Partial<PrinterTimings> {
  /** The restaurant whose orders it prints. */
  restaurant: string;
  /** Its consumer name in the group (`printer-1`): what a ticket's `printed_by` says. */
  name: string;
  /** Attempts before an order goes to the dead letters. @default 3 */
  maxDeliveries?: number;
  /** The wait before the first retry, doubling after each. @default 500 */
  retryMs?: number;
  /**
   * Dead printers (new names after each kill) that hold nothing leave the group's
   * list after this long, so the operator sees them for a while, then not. @default 60000
   */
  forgetIdleAfterMs?: number;
  onActivity?: (activity: PrinterActivity) => void;
  /** Failures the consumer reports (a handler's throw, a store error). */
  onError?: (error: Error) => void;
}

/** A running printer. */
export interface Printer {
  readonly name: string;
  readonly consumer: Consumer;
  /**
   * Stops taking orders; a ticket being printed gets `graceMs` to finish. With 0 it
   * is abandoned at once, unpublished, and stays pending on this printer's name
   * until another printer claims it: the memory store's stand-in for a crash.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Logs a failure the consumer reports, with its cause (a handler's throw). */
export function logFailure(name: string): (error: Error) => void {
  return (error) => console.error(`${name}: ${error.message}${error.cause ? ` (${String(error.cause)})` : ''}`);
}

/** Thrown for an order the printer can never print: retrying will not help, so it ends as a dead letter. */
export class UnprintableOrderError extends Error {
  override readonly name = 'UnprintableOrderError';
}

// A thermal printer's code page: printable Latin-1 (ISO 8859-1). Anything else it cannot print.
const UNPRINTABLE = /[^\u0020-\u007e\u00a0-\u00ff]/u;

function checkPrintable(orderId: string, items: Item[]): void {
  for (const text of [orderId, ...items.map((item) => item.name)]) {
    const bad = UNPRINTABLE.exec(text)?.[0];
    if (bad !== undefined) {
      const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
      throw new UnprintableOrderError(`cannot print "${text}": ${bad} (${code}) is not in the printer's code page`);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}

/**
 * Starts a printer on the restaurant's orders.
 *
 * @example
 * const printer = await startPrinter(rail, { restaurant: '123', name: 'printer-1' });
 * // on shutdown:
 * await printer.stop();
 */
export async function startPrinter(rail: ReplayRail, options: PrinterOptions): Promise<Printer> {
  const { restaurant, name } = options;
  const timings: PrinterTimings = {
    printMs: options.printMs ?? DEFAULT_PRINTER_TIMINGS.printMs,
    claimIdleMs: options.claimIdleMs ?? DEFAULT_PRINTER_TIMINGS.claimIdleMs,
  };
  // What printer.status answers with: counted here, as the printer goes.
  const tally = new PrinterTally();
  const onActivity = (activity: PrinterActivity) => {
    tally.apply(activity);
    options.onActivity?.(activity);
  };
  const consumer = rail.consume({
    channel: ordersChannel(restaurant),
    group: PRINTER_GROUP,
    consumer: name,
    // A new group prints every confirmed order still retained (none is missed
    // between the demo starting and the printer joining).
    from: 'earliest',
    // One printer prints one ticket at a time, and fetches nothing ahead: an order
    // waits in the stream, where any live printer can take it, not on a busy one.
    concurrency: 1,
    prefetch: 0,
    claimIdleMs: timings.claimIdleMs,
    maxDeliveries: options.maxDeliveries ?? 3,
    backoff: { initialMs: options.retryMs ?? 500 },
    removeIdleConsumersAfterMs: options.forgetIdleAfterMs ?? 60_000,
    ...(options.onError && { onError: options.onError }),
    handler: async (event, context) => {
      const { attempt, signal } = context;
      if (event.type !== 'order.confirmed') return;
      const orderId = String(event.payload.order_id);
      const items = itemsOf(event.payload);
      try {
        checkPrintable(orderId, items);
        onActivity({ kind: 'printing', orderId, attempt });
        await sleep(timings.printMs, signal);
        // Claimed by another printer meanwhile (this one stalled): its print counts, not ours.
        signal.throwIfAborted();
        const ticket = await publishTicket(context, event, { restaurant, name, attempt, items });
        onActivity({ kind: 'printed', orderId, attempt, ticketId: ticket });
      } catch (error) {
        if (signal.aborted) tally.abandoned();
        else onActivity({ kind: 'failed', orderId, attempt, error: String(error) });
        throw error;
      }
    },
  });
  await consumer.start();
  const channel = ordersChannel(restaurant);
  const source = { name, restaurant, channel, group: PRINTER_GROUP, timings, tally, consumer };
  const status = await servePrinterStatus(rail, source, options.onError).catch(async (error: unknown) => {
    await consumer.stop({ graceMs: 0 });
    throw error;
  });
  return {
    name,
    consumer,
    // Both at once: a crash (graceMs 0) takes the printer and its answers down together.
    stop: async (graceMs = 5_000) => {
      await Promise.all([consumer.stop({ graceMs }), status.stop({ graceMs })]);
    },
  };
}

// Publishes the ticket as the effect of its order.confirmed (`context.publish`): it
// goes on with the order's correlation and names the order.confirmed as its cause,
// so the order's lineage shows what printed it. Under an event_id made from the
// order.confirmed entry's cursor, so a second run of the same entry (its printer
// died after publishing, before the acknowledgement) stores nothing twice. The
// cursor, not the order's event_id, because any event_id is valid and `ticket-` +
// 128 characters is not.
async function publishTicket(
  context: HandlerContext,
  confirmed: StoredEvent,
  ticket: { restaurant: string; name: string; attempt: number; items: Item[] },
): Promise<string> {
  const eventId = `ticket-${confirmed.id}`;
  // With telemetry on the rail, this publish runs in the handler's consumer span: the
  // ticket joins the order's trace (metadata.trace_context is the rail's to set).
  try {
    await context.publish({
      channel: kitchenChannel(ticket.restaurant),
      type: 'kitchen.ticket.created',
      payload: {
        order_id: confirmed.payload.order_id,
        printed_by: ticket.name,
        attempt: ticket.attempt,
        items: ticket.items,
      },
      actor: { type: 'service', id: ticket.name },
      metadata: { source: 'ticket-printer' },
      eventId,
    });
  } catch (error) {
    // Published by an earlier attempt (another printer, or another try): the ticket
    // exists, with its own printed_by and attempt. Done, not a failure.
    if (!isReplayRailError(error, 'duplicate_event_conflict')) throw error;
  }
  return eventId;
}
