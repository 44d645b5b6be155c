/**
 * @module
 * The board's state, built from events: each order at the furthest step it
 * reached, the recent audit trail, and the cursor of each channel. It is saved
 * with the cursors in one write, so a reload resumes exactly where it left off.
 */

import type { ClientEvent, EventOf } from '@replayrail/client';
import type { DemoEvents } from '../catalog.js';
import { ORDER_STEPS } from '../order-steps.js';

export type DemoEvent = EventOf<DemoEvents>;
export type Step = (typeof ORDER_STEPS)[number];

export interface Order {
  id: string;
  step: Step;
  table?: number;
  items?: { name: string; qty: number }[];
  updatedAt: string;
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
  audit: AuditEntry[];
  cursors: Record<string, string | null>;
}

const AUDIT_LENGTH = 200;

export const emptyBoard = (): BoardState => ({ orders: {}, audit: [], cursors: {} });

/** Applies one event. Events of two channels interleave, so a step never goes back. */
export function applyEvent(state: BoardState, event: DemoEvent): void {
  const orderId = event.payload.order_id;
  const existing = state.orders[orderId];
  const step = event.type as Step;
  const order: Order = existing ?? { id: orderId, step, updatedAt: event.created_at };
  if (ORDER_STEPS.indexOf(step) >= ORDER_STEPS.indexOf(order.step)) {
    order.step = step;
    order.updatedAt = event.created_at;
  }
  if (event.type === 'order.created') {
    if (event.payload.table !== undefined) order.table = event.payload.table;
    if (event.payload.items !== undefined) order.items = event.payload.items;
  }
  state.orders[orderId] = order;
  state.audit.unshift({
    id: event.id,
    channel: event.channel,
    type: event.type,
    orderId,
    actor: event.actor,
    metadata: event.metadata,
    createdAt: event.created_at,
  });
  state.audit.length = Math.min(state.audit.length, AUDIT_LENGTH);
}

/** Forgets what came from `channel` (after expiry: its history is gone, the board resyncs from now). */
export function forgetChannel(state: BoardState, channel: string): void {
  state.audit = state.audit.filter((entry) => entry.channel !== channel);
  state.cursors[channel] = null;
}

export function loadBoard(key: string): BoardState {
  try {
    const saved = localStorage.getItem(key);
    return saved === null ? emptyBoard() : (JSON.parse(saved) as BoardState);
  } catch {
    return emptyBoard();
  }
}

export function saveBoard(key: string, state: BoardState): void {
  localStorage.setItem(key, JSON.stringify(state));
}
