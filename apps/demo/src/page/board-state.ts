/**
 * @module
 * The board's state, built from events: each order at the furthest step it
 * reached, the tickets the printer published, the recent audit trail, and the
 * cursor of each channel. It is saved with the cursors in one write, so a reload
 * resumes exactly where it left off.
 *
 * The audit trail is the newest events of both channels, merged in cursor order
 * (event-order.ts), newest first. Not in arrival order: a board that replays (a
 * new tab, "Replay from scratch") gets one channel's history, then the other's,
 * and must end with the same trail as a board that watched them live.
 */

import type { ClientEvent, EventOf } from '@replayrail/client';
import type { DemoEvents } from '../catalog.js';
import { compareByCursor } from '../event-order.js';
import { ORDER_STEPS } from '../order-steps.js';

export type DemoEvent = EventOf<DemoEvents>;
export type Step = (typeof ORDER_STEPS)[number];

export interface Order {
  id: string;
  step: Step;
  table?: number;
  items?: { name: string; qty: number }[];
  updatedAt: string;
  /** Its kitchen ticket, once printed. */
  ticket?: { printedBy: string; attempt: number };
}

/** A `kitchen.ticket.created`: which printer printed it, on which attempt (2 or more after a reclaim). */
export interface Ticket {
  id: string;
  channel: string;
  orderId: string;
  printedBy: string;
  attempt: number;
  createdAt: string;
}

export interface AuditEntry {
  id: string;
  channel: string;
  type: string;
  orderId: string;
  actor: ClientEvent['actor'];
  metadata: ClientEvent['metadata'];
  createdAt: string;
}

export interface BoardState {
  orders: Record<string, Order>;
  /** Latest first. */
  tickets: Ticket[];
  /** Newest first, in cursor order across channels. */
  audit: AuditEntry[];
  cursors: Record<string, string | null>;
}

const AUDIT_LENGTH = 200;
const TICKETS_LENGTH = 50;

export const emptyBoard = (): BoardState => ({ orders: {}, tickets: [], audit: [], cursors: {} });

/** Applies one event. Events of two channels interleave, so a step never goes back. */
export function applyEvent(state: BoardState, event: DemoEvent): void {
  const orderId = event.payload.order_id;
  if (event.type === 'kitchen.ticket.created') {
    // Not a step of the order: noted on its card (if the board knows the order) and in the tickets.
    const { printed_by: printedBy, attempt } = event.payload;
    state.tickets.unshift({
      id: event.id,
      channel: event.channel,
      orderId,
      printedBy,
      attempt,
      createdAt: event.created_at,
    });
    state.tickets.length = Math.min(state.tickets.length, TICKETS_LENGTH);
    const order = state.orders[orderId];
    if (order !== undefined) order.ticket = { printedBy, attempt };
  } else {
    const step = event.type;
    const order: Order = state.orders[orderId] ?? { id: orderId, step, updatedAt: event.created_at };
    if (ORDER_STEPS.indexOf(step) >= ORDER_STEPS.indexOf(order.step)) {
      order.step = step;
      order.updatedAt = event.created_at;
    }
    if (event.type === 'order.created') {
      if (event.payload.table !== undefined) order.table = event.payload.table;
      if (event.payload.items !== undefined) order.items = event.payload.items;
    }
    state.orders[orderId] = order;
  }
  addToAudit(state.audit, {
    id: event.id,
    channel: event.channel,
    type: event.type,
    orderId,
    actor: event.actor,
    metadata: event.metadata,
    createdAt: event.created_at,
  });
}

/**
 * Puts `entry` in its place in `audit` (newest first) and keeps the newest
 * `AUDIT_LENGTH`: whatever order the events come in, the trail ends as the newest
 * events of all of them. A live event is the newest, so the search stops at once.
 */
function addToAudit(audit: AuditEntry[], entry: AuditEntry): void {
  let index = 0;
  while (index < audit.length && compareByCursor(audit[index] as AuditEntry, entry) > 0) index++;
  audit.splice(index, 0, entry);
  audit.length = Math.min(audit.length, AUDIT_LENGTH);
}

/** Forgets what came from `channel` (after expiry: its history is gone, the board resyncs from now). */
export function forgetChannel(state: BoardState, channel: string): void {
  state.audit = state.audit.filter((entry) => entry.channel !== channel);
  state.tickets = state.tickets.filter((ticket) => ticket.channel !== channel);
  state.cursors[channel] = null;
}

export function loadBoard(key: string): BoardState {
  try {
    const saved = localStorage.getItem(key);
    if (saved === null) return emptyBoard();
    // Spread over an empty board: a board saved before tickets existed has none.
    const board: BoardState = { ...emptyBoard(), ...(JSON.parse(saved) as BoardState) };
    // A board saved when the trail was kept in arrival order.
    board.audit.sort((a, b) => compareByCursor(b, a));
    return board;
  } catch {
    return emptyBoard();
  }
}

export function saveBoard(key: string, state: BoardState): void {
  localStorage.setItem(key, JSON.stringify(state));
}
