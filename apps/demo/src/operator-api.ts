/**
 * @module
 * The JSON the operator's routes answer with (operator-routes.ts), in one place for
 * the server that writes it and the page that reads it. Types only: free of Node,
 * so the page can import them.
 */

import type { GroupInfo, Lineage } from '@replayrail/core';
import type { TimelineEntry } from './timeline.js';

/** `GET /operator/orders/:orderId/timeline` */
export interface TimelineView {
  order_id: string;
  restaurant: string;
  channels: string[];
  events: TimelineEntry[];
}

/**
 * `GET /operator/orders/:orderId/lineage`: the causation graph of the correlation
 * the order's events carry (the first one its timeline names).
 */
export interface LineageView {
  order_id: string;
  restaurant: string;
  correlation_id: string;
  /** `rail.lineage(correlation_id)`: its events (each with its marks) and which caused which. */
  lineage: Lineage;
  /** The same as a Mermaid flowchart (`toMermaid`), for the page to draw. */
  mermaid: string;
}

/** A ticket under way or just done, as its printer reported it. */
export interface PrinterReport {
  printer: string;
  order_id: string;
  attempt: number;
  at: string;
  /** Why it failed (the last failure only). */
  error?: string;
}

/** The printer as its supervisor sees it (printer-supervisor.ts). */
export interface PrinterStatus {
  /** `process`: its own process (Redis); `in-process`: inside the demo (memory store). */
  mode: 'process' | 'in-process';
  /** The current printer's consumer name. */
  name: string;
  /** The printer's process (the demo's own, in-process); null while none runs. */
  pid: number | null;
  state: 'starting' | 'running' | 'stopped';
  /** The ticket it is printing now. */
  printing: PrinterReport | null;
  lastPrinted: PrinterReport | null;
  lastFailed: PrinterReport | null;
  /** Printers killed from the operator's view, latest first, with what each was printing. */
  killed: { name: string; at: string; printing: PrinterReport | null }[];
}

/** `GET /operator/printer` */
export interface PrinterView {
  restaurant: string;
  channel: string;
  group: string;
  /** Null when the demo runs without a printer. */
  printer: PrinterStatus | null;
  /** The consumer group's figures; null until a printer has created it. */
  consumer_group: GroupInfo | null;
}

/** One of `GET /operator/dead-letters`. */
export interface DeadLetterView {
  /** Its ID among the dead letters: what a redrive takes. */
  id: string;
  /** The order.confirmed entry it was, in the orders channel. */
  origin: string;
  order_id: string | null;
  type: string | null;
  event_id: string | null;
  attempts: number;
  error_name: string;
  error_message: string;
  first_failed_at: string;
  last_failed_at: string;
  /** The printer that gave up on it. */
  consumer: string;
}

/** `GET /operator/dead-letters` */
export interface DeadLettersView {
  channel: string;
  group: string;
  dead_letters: DeadLetterView[];
}
