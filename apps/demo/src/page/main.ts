/**
 * @module
 * The kitchen board: subscribes to the restaurant's orders and kitchen channels
 * through `@replayrail/client`, keeps the board and the cursors together in
 * localStorage, and renders columns, the printed tickets, an audit trail and a
 * connection badge. A new board opens from the channels' snapshots (keyed
 * channels: the demo's README, "Opened after a weekend"), and so does a board whose
 * saved cursor fell out of the server's history; `?onExpired=error` shows the
 * other way, the expiry reported and the board going on from there. Beside it or
 * below it (layout.css), the operator's view (operator.ts): a click on a card opens
 * the order's timeline. A card still being made shows the kitchen's estimate
 * (estimates.ts). The Simulate traffic button starts the server's traffic
 * (simulator-control.ts).
 */

import { type ClientSubscription, type CursorStorage, createClient, type EventOf } from '@replayrail/client';
import type { DemoEvents } from '../catalog.js';
import { ORDER_STEPS } from '../order-steps.js';
import { applyEvent, type BoardState, forgetChannel, loadBoard, resetChannel, saveBoard } from './board-state.js';
import { startEstimates } from './estimates.js';
import { startOperatorView } from './operator.js';
import { startRpcPanel } from './rpc-panel.js';
import { startSimulatorControl } from './simulator-control.js';

const restaurant = new URLSearchParams(location.search).get('restaurant') ?? '123';
const channels = [`restaurant:${restaurant}:orders`, `restaurant:${restaurant}:kitchen`];
const storageKey = `replayrail-demo:${restaurant}`;
// How a saved cursor older than the server's history comes back (the client's README, "Expiry and snapshots").
const resync = new URLSearchParams(location.search).get('onExpired') !== 'error';
const AUDIT_SHOWN = 50;
const board: BoardState = loadBoard(storageKey);

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
element('restaurant').textContent = `restaurant ${restaurant}`;

// The cursors live in the board's own saved state: one write keeps both in step.
const storage: CursorStorage = {
  get: (channel) => board.cursors[channel] ?? null,
  set: (channel, cursor) => {
    board.cursors[channel] = cursor;
    saveBoard(storageKey, board);
  },
};

const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
const client = createClient<DemoEvents>({ url: `${protocol}//${location.host}/ws`, storage });
const subscriptions: ClientSubscription<EventOf<DemoEvents>>[] = [];
const estimates = startEstimates(restaurant, () => render());

let scheduled = false;
function render(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    renderBoard();
    renderTickets();
    renderAudit();
    renderBadge();
    element('cursors').textContent = channels
      .map((channel) => `${channel} @ ${board.cursors[channel] ?? '—'}`)
      .join(' · ');
  });
}

function renderBoard(): void {
  const columns = ORDER_STEPS.map((step) => {
    const column = document.createElement('section');
    column.className = 'column';
    column.dataset.step = step;
    const title = document.createElement('h2');
    title.textContent = step.replace('order.', '');
    column.append(title);
    // Newest first; the same place for two orders of the same time on every board,
    // whatever order their events came in.
    const orders = Object.values(board.orders)
      .filter((order) => order.step === step)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
    for (const order of orders) {
      const card = document.createElement('article');
      card.className = 'card';
      card.dataset.order = order.id;
      card.dataset.step = order.step;
      card.tabIndex = 0;
      card.title = 'Open the timeline of this order';
      const name = document.createElement('strong');
      name.className = 'order-id';
      name.textContent = order.id;
      name.title = order.id; // the whole ID, should a very long one be cut short
      const detail = document.createElement('small');
      const items = order.items?.map((item) => `${item.qty}× ${item.name}`).join(', ');
      detail.textContent = [order.table === undefined ? '' : `table ${order.table}`, items].filter(Boolean).join(' · ');
      card.append(name, detail);
      if (order.ticket !== undefined) {
        const ticket = document.createElement('small');
        ticket.className = 'ticket';
        ticket.textContent = `ticket by ${order.ticket.printedBy}, attempt ${order.ticket.attempt}`;
        card.append(ticket);
      }
      const estimate = estimates.cardLine(order.id, order.step);
      if (estimate !== null) card.append(estimate);
      column.append(card);
    }
    return column;
  });
  element('board').replaceChildren(...columns);
}

function renderTickets(): void {
  const items = board.tickets.slice(0, 8).map((ticket) => {
    const item = document.createElement('li');
    item.dataset.order = ticket.orderId;
    item.dataset.printedBy = ticket.printedBy;
    item.dataset.attempt = String(ticket.attempt);
    item.textContent = `${ticket.createdAt.slice(11, 19)} ${ticket.orderId} printed by ${ticket.printedBy}, attempt ${ticket.attempt}`;
    return item;
  });
  element('tickets').replaceChildren(...items);
}

// Newest first, across both channels (board-state.ts keeps it in that order).
function renderAudit(): void {
  const entries = board.audit.slice(0, AUDIT_SHOWN).map((entry) => {
    const item = document.createElement('li');
    item.dataset.id = entry.id;
    item.dataset.channel = entry.channel;
    const channel = document.createElement('span');
    channel.className = 'channel';
    channel.title = entry.channel;
    channel.textContent = entry.channel.split(':').pop() ?? entry.channel;
    const head = document.createElement('span');
    const who = entry.actor
      ? `${String(entry.actor.type ?? 'actor')} ${String(entry.actor.id ?? '')}`.trim()
      : 'no actor';
    head.textContent = ` ${entry.type} ${entry.orderId} by ${who} `;
    const time = document.createElement('time');
    time.dateTime = entry.createdAt;
    time.textContent = entry.createdAt.slice(11, 19);
    const meta = document.createElement('code');
    meta.textContent = JSON.stringify(entry.metadata);
    item.append(time, ' ', channel, head, meta);
    return item;
  });
  element('audit').replaceChildren(...entries);
}

function renderBadge(): void {
  const state =
    client.state !== 'open'
      ? client.state
      : subscriptions.every((subscription) => subscription.state === 'live')
        ? 'live'
        : 'replaying';
  const badge = element('badge');
  badge.dataset.state = state;
  badge.textContent = state;
}

function notify(text: string): void {
  const notice = element('notice');
  notice.textContent = text;
  notice.hidden = false;
}

const operator = startOperatorView(restaurant, notify);
const openTimeline = (target: EventTarget | null) => {
  const card = (target as HTMLElement | null)?.closest<HTMLElement>('.card');
  if (card?.dataset.order !== undefined) operator.showTimeline(card.dataset.order);
};
element('board').addEventListener('click', (event) => openTimeline(event.target));
element('board').addEventListener('keydown', (event) => {
  if (event.key === 'Enter') openTimeline(event.target);
});

client.on('state', render);
client.on('error', (error) => {
  if (client.state === 'closed') notify(`Disconnected for good: ${error.code} (${error.message})`);
  else if (error.code === 'replay_window_expired' || error.code === 'stream_reset') {
    const then = resync ? "the board was rebuilt from the server's snapshot" : 'the board continues from now';
    notify(`${error.channel}: the saved position is older than the server keeps (${error.code}); ${then}.`);
  }
});
for (const channel of channels) {
  const onEvent = (event: EventOf<DemoEvents>) => {
    applyEvent(board, event);
    operator.orderChanged(event.payload.order_id);
    render();
  };
  const subscription = client.subscribe(
    channel,
    onEvent,
    resync
      ? {
          // A new board, and one whose saved cursor expired: each order's latest events, then on.
          from: 'snapshot',
          onExpired: 'snapshot',
          onState: render,
          reset: () => {
            // Before the snapshot: what this channel said is replaced by it.
            resetChannel(board, channel);
            saveBoard(storageKey, board);
            render();
          },
        }
      : {
          from: 'earliest',
          // After expiry the channel's stream is new (a restarted memory store, say): all of it is news.
          resume: 'earliest',
          onState: render,
          onExpired: () => {
            // History older than the server keeps is gone: this channel goes on from now.
            forgetChannel(board, channel);
            saveBoard(storageKey, board);
            render();
          },
        },
  );
  subscriptions.push(subscription);
}

startSimulatorControl(restaurant, notify);
startRpcPanel();
element('reset').addEventListener('click', () => {
  localStorage.removeItem(storageKey);
  location.reload();
});
render();
