/**
 * @module
 * The board's state, built from events: each order at the furthest step it
 * reached, the tickets the printer published, the recent audit trail, and the
 * cursor of each channel. It is saved with the cursors in one write, so a reload
 * resumes exactly where it left off.
 *
 * An order's card is made from what each channel said about it (`sources`): the
 * furthest step each published, the table and items of its `order.created`, its
 * ticket. Kept per channel because a channel can be reset on its own (its snapshot
 * replaces what it said, after its cursor expired) and because the channels
 * arrive in any order (a ticket before its order, a snapshot in key order): the
 * card is the same whatever the order.
 *
 * The audit trail is the newest events of both channels, merged in cursor order
 * (event-order.ts), newest first. Not in arrival order: a board that replays (a
 * new tab, "Replay from scratch") gets one channel's history, then the other's,
 * and must end with the same trail as a board that watched them live. The tickets
 * are kept the same way.
 */

import type { ClientEvent, EventOf } from '@replayrail/client';
import type { DemoEvents } from '../catalog.js';
import { compareByCursor, type EventPlace } from '../event-order.js';
import { ORDER_STEPS } from '../order-steps.js';

export type DemoEvent = EventOf<DemoEvents>;
export type Step = (typeof ORDER_STEPS)[number];

type Items = { name: string; qty: number }[];

export interface Order {
  id: string;
  step: Step;
  table?: number;
  items?: Items;
  updatedAt: string;
  /** Its kitchen ticket, once printed. */
  ticket?: { printedBy: string; attempt: number };
}

/** What one channel said about an order: the furthest step it published (and when), and what it carried. */
export interface OrderPart {
  step?: Step;
  updatedAt?: string;
  table?: number;
  items?: Items;
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
  /** The cards: made from `sources`, never changed on their own. */
  orders: Record<string, Order>;
  /** Channel → order ID → what that channel said about the order. */
  sources: Record<string, Record<string, OrderPart>>;
  /** Newest first, in cursor order (the latest `TICKETS_LENGTH`). */
  tickets: Ticket[];
  /** Newest first, in cursor order across channels. */
  audit: AuditEntry[];
  cursors: Record<string, string | null>;
}

const AUDIT_LENGTH = 200;
const TICKETS_LENGTH = 50;

export const emptyBoard = (): BoardState => ({ orders: {}, sources: {}, tickets: [], audit: [], cursors: {} });

const rank = (step: Step) => ORDER_STEPS.indexOf(step);
// Further on than `order`, or as far and later.
const ahead = (step: Step, updatedAt: string, order: Order) =>
  rank(step) > rank(order.step) || (rank(step) === rank(order.step) && updatedAt > order.updatedAt);

/**
 * An order's card from what the channels said, the same whatever order they said
 * it in: the furthest step (the later one when two channels reached the same), the
 * first table, items and ticket in channel-name order. None without a step: a
 * ticket alone makes no card.
 */
function cardOf(state: BoardState, orderId: string): Order | undefined {
  let order: Order | undefined;
  const parts = Object.keys(state.sources)
    .sort()
    .flatMap((channel) => state.sources[channel]?.[orderId] ?? []);
  for (const { step, updatedAt } of parts) {
    if (step === undefined || updatedAt === undefined) continue;
    if (order === undefined || ahead(step, updatedAt, order)) order = { id: orderId, step, updatedAt };
  }
  if (order === undefined) return undefined;
  const table = parts.find((part) => part.table !== undefined)?.table;
  const items = parts.find((part) => part.items !== undefined)?.items;
  const ticket = parts.find((part) => part.ticket !== undefined)?.ticket;
  return { ...order, ...(table !== undefined && { table }), ...(items && { items }), ...(ticket && { ticket }) };
}

function refreshCard(state: BoardState, orderId: string): void {
  const card = cardOf(state, orderId);
  if (card === undefined) delete state.orders[orderId];
  else state.orders[orderId] = card;
}

/** Applies one event. Events of two channels interleave, so a step never goes back. */
export function applyEvent(state: BoardState, event: DemoEvent): void {
  const orderId = event.payload.order_id;
  state.sources[event.channel] ??= {};
  const parts = state.sources[event.channel] as Record<string, OrderPart>;
  const part: OrderPart = parts[orderId] ?? {};
  parts[orderId] = part;
  if (event.type === 'kitchen.ticket.created') {
    // Not a step of the order: noted on its card (once the board knows the order) and in the tickets.
    const { printed_by: printedBy, attempt } = event.payload;
    part.ticket = { printedBy, attempt };
    addByCursor(
      state.tickets,
      { id: event.id, channel: event.channel, orderId, printedBy, attempt, createdAt: event.created_at },
      TICKETS_LENGTH,
    );
  } else {
    const step = event.type;
    if (part.step === undefined || rank(step) >= rank(part.step)) {
      part.step = step;
      part.updatedAt = event.created_at;
    }
    if (event.type === 'order.created') {
      if (event.payload.table !== undefined) part.table = event.payload.table;
      if (event.payload.items !== undefined) part.items = event.payload.items;
    }
  }
  refreshCard(state, orderId);
  addByCursor(
    state.audit,
    {
      id: event.id,
      channel: event.channel,
      type: event.type,
      orderId,
      actor: event.actor,
      metadata: event.metadata,
      createdAt: event.created_at,
    },
    AUDIT_LENGTH,
  );
}

/**
 * Puts `entry` in its place in `list` (newest first) and keeps the newest `length`:
 * whatever order the events come in (a snapshot comes in key order), the list ends
 * as the newest events of all of them. A live event is the newest, so the search
 * stops at once.
 */
function addByCursor<Entry extends EventPlace>(list: Entry[], entry: Entry, length: number): void {
  let index = 0;
  while (index < list.length && compareByCursor(list[index] as Entry, entry) > 0) index++;
  list.splice(index, 0, entry);
  list.length = Math.min(list.length, length);
}

/**
 * Forgets the history that came from `channel` (its audit entries and tickets) and
 * its cursor, and keeps the cards as they are: after an expiry reported as an error,
 * the board goes on from there without what it missed.
 */
export function forgetChannel(state: BoardState, channel: string): void {
  state.audit = state.audit.filter((entry) => entry.channel !== channel);
  state.tickets = state.tickets.filter((ticket) => ticket.channel !== channel);
  state.cursors[channel] = null;
}

/**
 * Drops everything `channel` said, cards included (an order only it knew leaves the
 * board): the channel's snapshot, about to come, replaces it.
 */
export function resetChannel(state: BoardState, channel: string): void {
  forgetChannel(state, channel);
  const orderIds = Object.keys(state.sources[channel] ?? {});
  delete state.sources[channel];
  for (const orderId of orderIds) refreshCard(state, orderId);
}

export function loadBoard(key: string): BoardState {
  try {
    const saved = localStorage.getItem(key);
    if (saved === null) return emptyBoard();
    const board = JSON.parse(saved) as Partial<BoardState>;
    // A board saved before cards were kept per channel cannot be reset one channel at
    // a time: it starts over (its cursors too), from the snapshot.
    if (board.sources === undefined) return emptyBoard();
    return { ...emptyBoard(), ...board };
  } catch {
    return emptyBoard();
  }
}

export function saveBoard(key: string, state: BoardState): void {
  localStorage.setItem(key, JSON.stringify(state));
}
