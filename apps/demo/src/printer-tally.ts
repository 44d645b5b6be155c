/**
 * @module
 * What a printer counts of its own work, from its activity (printer.ts reports it
 * here as it goes): the ticket it is printing, the tickets printed and the attempts
 * failed, the last of each. What `printer.status` answers with (printer-contract.ts).
 */

import type { PrinterActivity } from './printer.js';
import type { PrinterStatusAnswer } from './printer-contract.js';

type Tallied = Pick<
  PrinterStatusAnswer,
  'startedAt' | 'state' | 'printing' | 'ticketsPrinted' | 'lastTicket' | 'failures' | 'lastFailure'
>;

export class PrinterTally {
  readonly #startedAt = new Date().toISOString();
  #printing: PrinterStatusAnswer['printing'] = null;
  #ticketsPrinted = 0;
  #lastTicket: PrinterStatusAnswer['lastTicket'] = null;
  #failures = 0;
  #lastFailure: PrinterStatusAnswer['lastFailure'] = null;

  apply(activity: PrinterActivity): void {
    const ticket = { orderId: activity.orderId, attempt: activity.attempt, at: new Date().toISOString() };
    if (activity.kind === 'printing') {
      this.#printing = ticket;
      return;
    }
    this.#printing = null;
    if (activity.kind === 'printed') {
      this.#ticketsPrinted++;
      this.#lastTicket = ticket;
    } else {
      this.#failures++;
      this.#lastFailure = { ...ticket, error: activity.error };
    }
  }

  /** A ticket abandoned mid-print (the printer was stopped, or another claimed it): no longer printing. */
  abandoned(): void {
    this.#printing = null;
  }

  view(): Tallied {
    return {
      startedAt: this.#startedAt,
      state: this.#printing === null ? 'waiting' : 'printing',
      printing: this.#printing,
      ticketsPrinted: this.#ticketsPrinted,
      lastTicket: this.#lastTicket,
      failures: this.#failures,
      lastFailure: this.#lastFailure,
    };
  }
}
