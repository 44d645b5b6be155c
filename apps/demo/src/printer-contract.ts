/**
 * @module
 * The ticket printer's contract (`@replayrail/rpc`): `printer.status`, answered by
 * the printer itself (printer.ts serves it beside its consumer) from what it knows
 * of itself: its name and process, what it is printing, what it printed and failed,
 * and what its consumer holds in the group.
 *
 * Every printer of the group serves the one `printer` service, so a call is answered
 * by whichever printer takes it: in the demo there is one at a time (a killed one
 * takes no more calls), and the answer names its printer.
 */

import { defineContract, defineMethod } from '@replayrail/rpc';
import { z } from 'zod';

const ticket = z.object({ orderId: z.string(), attempt: z.number().int().positive(), at: z.string() });

export const printerStatusResult = z.object({
  /** Its consumer name in the group (`printer-2`), what its tickets' `printed_by` says. */
  name: z.string(),
  /** The process it runs in: its own on Redis, the demo's on the memory store. */
  pid: z.number().int(),
  restaurant: z.string(),
  /** The channel it consumes, and its group there. */
  channel: z.string(),
  group: z.string(),
  startedAt: z.string(),
  state: z.enum(['waiting', 'printing']),
  /** The ticket it is printing now, since `at`. */
  printing: ticket.nullable(),
  ticketsPrinted: z.number().int().nonnegative(),
  lastTicket: ticket.nullable(),
  /** Attempts that failed (each retry of a poison order counts). */
  failures: z.number().int().nonnegative(),
  lastFailure: ticket.extend({ error: z.string() }).nullable(),
  /** Entries its consumer holds in the group (delivered to it, not acknowledged); null when the group cannot be read. */
  held: z.number().int().nonnegative().nullable(),
  printMs: z.number().int().nonnegative(),
  claimIdleMs: z.number().int().positive(),
});

export type PrinterStatusAnswer = z.output<typeof printerStatusResult>;

export const printerContract = defineContract('printer', {
  status: defineMethod({ params: z.object({}), result: printerStatusResult }),
});
