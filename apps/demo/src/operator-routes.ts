/**
 * @module
 * The operator's routes, beside ReplayRail's own:
 *
 * - `GET /operator/orders/:orderId/timeline?restaurant=` an order's events across the
 *   restaurant's channels, in cursor order (timeline.ts);
 * - `GET /operator/orders/:orderId/lineage?restaurant=` the causation graph of the
 *   correlation the order's events carry (`rail.lineage`, and `toMermaid` for the
 *   page); a 404 `order_not_found` for an order the channels do not have,
 *   `correlation_not_found` for one whose events name no correlation, or
 *   `lineage_not_found` for a correlation the lineage index does not hold;
 * - `GET /operator/printer` the ticket printer and its consumer group (consumers,
 *   pending, lag, dead letters);
 * - `POST /operator/printer/kill` kills the printer (mid-ticket if it prints one) and
 *   starts the next (printer-supervisor.ts);
 * - `GET /operator/dead-letters` the orders the printer gave up on, and why;
 * - `POST /operator/dead-letters/redrive` `{"ids": [...]}` or `{"all": true}` puts
 *   them back to be printed again;
 * - `GET /operator/rpc` the calls between services: the printer's own answer to
 *   `printer.status` (asked now, within `RPC_TIMEOUT_MS`), the kitchen service, and
 *   the server's record of its calls per method (count, errors, p50, p99; rpc-api.ts).
 *
 * Every input is checked (zod); a bad one is a 400 `{"error": {"code", "message"}}`
 * as ReplayRail's routes answer, and nothing a client sends can crash the process
 * (route-input.ts).
 */

import { type DeadLetter, InvalidRequestError, type ReplayRail, toMermaid } from '@replayrail/core';
import { Hono } from 'hono';
import { z } from 'zod';
import { callErrorAnswer } from './call-errors.js';
import type { KitchenSupervisor } from './kitchen-supervisor.js';
import type { DeadLettersView, DeadLetterView, LineageView, PrinterView, TimelineView } from './operator-api.js';
import { kitchenChannel, ordersChannel, PRINTER_GROUP } from './printer.js';
import type { PrinterSupervisor } from './printer-supervisor.js';
import { answerError, check, jsonBody, restaurantSchema } from './route-input.js';
import type { RpcView } from './rpc-api.js';
import type { ServiceCalls } from './service-calls.js';
import { orderCorrelation, orderTimeline } from './timeline.js';

export interface OperatorRoutesOptions {
  rail: ReplayRail;
  /** The restaurant the printer serves. */
  restaurant: string;
  /** None when the demo runs without a printer (`printer: false`). */
  printer?: PrinterSupervisor;
  /** None when the demo runs without a kitchen (`kitchen: false`). */
  kitchen?: KitchenSupervisor;
  /** The server's calls to its services, and their record. */
  calls: ServiceCalls;
}

// As the catalog's order_id.
const orderId = z.string().min(1).max(64);
const cursor = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'must be a dead letter’s ID (<ms>-<seq>)');
const redriveBody = z.union(
  [z.strictObject({ ids: z.array(cursor).min(1).max(100) }), z.strictObject({ all: z.literal(true) })],
  { error: 'must be {"ids": [dead-letter IDs]} or {"all": true}' },
);

const DEAD_LETTERS_SHOWN = 100;
// An order's lineage is a handful of events and marks: a graph much larger is not read, nor drawn quickly.
const LINEAGE_EVENTS = 100;

function deadLetterView(letter: DeadLetter): DeadLetterView {
  const order = letter.event?.payload.order_id;
  return {
    id: letter.id,
    origin: letter.origin,
    order_id: typeof order === 'string' ? order : null,
    type: letter.event?.type ?? null,
    event_id: letter.event?.event_id ?? null,
    attempts: letter.attempts,
    error_name: letter.errorName,
    error_message: letter.errorMessage,
    first_failed_at: new Date(letter.firstFailedAt).toISOString(),
    last_failed_at: new Date(letter.lastFailedAt).toISOString(),
    consumer: letter.consumer,
  };
}

/** The operator's routes, to mount at `/`. */
export function createOperatorRoutes(options: OperatorRoutesOptions): Hono {
  const { rail, printer, kitchen, calls } = options;
  const orders = ordersChannel(options.restaurant);
  const app = new Hono();

  app.get('/operator/orders/:orderId/timeline', async (c) => {
    const id = check(orderId, c.req.param('orderId'), 'orderId');
    const where = check(restaurantSchema, c.req.query('restaurant') ?? options.restaurant, 'restaurant');
    const channels = [ordersChannel(where), kitchenChannel(where)];
    const view: TimelineView = {
      order_id: id,
      restaurant: where,
      channels,
      events: await orderTimeline(rail, channels, id),
    };
    return c.json(view);
  });

  app.get('/operator/orders/:orderId/lineage', async (c) => {
    const id = check(orderId, c.req.param('orderId'), 'orderId');
    const where = check(restaurantSchema, c.req.query('restaurant') ?? options.restaurant, 'restaurant');
    // The order's timeline says which correlation it is: the lineage index is by correlation, not by order.
    const events = await orderTimeline(rail, [ordersChannel(where), kitchenChannel(where)], id);
    if (events.length === 0) {
      return c.json({ error: { code: 'order_not_found', message: `restaurant ${where} has no order ${id}` } }, 404);
    }
    const correlationId = orderCorrelation(events);
    if (correlationId === null) {
      const message = `the events of order ${id} name no metadata.correlation_id: it has no lineage`;
      return c.json({ error: { code: 'correlation_not_found', message } }, 404);
    }
    const lineage = await rail.lineage(correlationId, { limit: LINEAGE_EVENTS });
    if (lineage.nodes.length === 0) {
      // Its events were stored before the index was on (a demo's Redis from before), or outlived it.
      const message = `no event of correlation ${correlationId} is in the lineage index`;
      return c.json({ error: { code: 'lineage_not_found', message } }, 404);
    }
    const view: LineageView = {
      order_id: id,
      restaurant: where,
      correlation_id: correlationId,
      lineage,
      mermaid: toMermaid(lineage),
    };
    return c.json(view);
  });

  app.get('/operator/printer', async (c) => {
    const view: PrinterView = {
      restaurant: options.restaurant,
      channel: orders,
      group: PRINTER_GROUP,
      printer: printer?.status() ?? null,
      consumer_group: await rail.group(orders, PRINTER_GROUP).info(),
    };
    return c.json(view);
  });

  app.post('/operator/printer/kill', async (c) => {
    if (printer === undefined)
      throw new InvalidRequestError('no printer runs in this demo (started with printer: false)');
    return c.json({ printer: await printer.kill() });
  });

  app.get('/operator/dead-letters', async (c) => {
    // No group yet: no dead letters either.
    const exists = (await rail.group(orders, PRINTER_GROUP).info()) !== null;
    const letters = exists ? await rail.group(orders, PRINTER_GROUP).deadLetters({ limit: DEAD_LETTERS_SHOWN }) : [];
    const view: DeadLettersView = { channel: orders, group: PRINTER_GROUP, dead_letters: letters.map(deadLetterView) };
    return c.json(view);
  });

  app.post('/operator/dead-letters/redrive', async (c) => {
    const body = check(redriveBody, await jsonBody(c), 'body');
    const redriven = await rail.group(orders, PRINTER_GROUP).redrive('all' in body ? 'all' : body.ids);
    return c.json({ redriven });
  });

  app.get('/operator/rpc', async (c) => {
    // Asked first, so the record answered with counts this call too.
    const printerStatus: RpcView['printer_status'] =
      printer === undefined
        ? null
        : await calls.printerStatus().then(
            (status) => ({ status }),
            (error: unknown) => {
              const answer = callErrorAnswer(error, 'printer.status');
              if (answer === undefined) throw error;
              return answer.body;
            },
          );
    const view: RpcView = {
      timeout_ms: calls.timeoutMs,
      kitchen: kitchen?.status() ?? null,
      printer_status: printerStatus,
      calls: calls.record.view(),
    };
    return c.json(view);
  });

  app.onError(answerError);
  return app;
}
