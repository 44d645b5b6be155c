/**
 * @module
 * The operator's **Calls** panel: the server's calls to its services over the rail
 * (`GET /operator/rpc`, polled every second on its own, since a service that does
 * not answer holds the poll for the server's timeout). It shows the printer's own
 * answer to `printer.status`, where the kitchen runs, and per method the server's
 * record: calls, p50 and p99 latency, errors by kind.
 */

import type { CallStats, RpcView } from '../rpc-api.js';
import { call } from './api.js';
import { byId, h, time } from './dom.js';

const POLL_MS = 1_000;

// In ms, as the table's head says: a number stays on one line on a phone.
const ms = (value: number | null) => (value === null ? '—' : String(value));

function printerLine(view: RpcView): [state: string, text: Node | string] {
  const answer = view.printer_status;
  if (answer === null) return ['none', 'no printer runs in this demo'];
  if ('error' in answer) return ['error', `no answer: ${answer.error.message}`];
  const { status } = answer;
  const doing =
    status.printing === null
      ? 'waiting for orders'
      : `printing ${status.printing.orderId} (attempt ${status.printing.attempt})`;
  const last = status.lastTicket ? `, last ${status.lastTicket.orderId} at ${time(status.lastTicket.at)}` : '';
  return [
    status.state,
    `${status.name} (pid ${status.pid}) · ${doing} · ${status.ticketsPrinted} printed${last} · ${status.failures} failed · holds ${status.held ?? '?'}`,
  ];
}

function kitchenLine(view: RpcView): string {
  const { kitchen } = view;
  if (kitchen === null) return 'no kitchen runs in this demo: every estimate times out';
  const where = kitchen.mode === 'process' ? `its own process, pid ${kitchen.pid ?? '—'}` : 'in the demo’s process';
  return `${kitchen.name} · ${where} · ${kitchen.state}`;
}

function errorsText(stats: CallStats): string {
  const kinds = Object.entries(stats.errors_by_code).map(([kind, count]) => `${kind} ×${count}`);
  return kinds.length === 0 ? '0' : `${stats.errors}: ${kinds.join(', ')}`;
}

function callRow(stats: CallStats): HTMLElement {
  return h(
    'tr',
    { 'data-method': stats.method, 'data-calls': String(stats.calls), 'data-errors': String(stats.errors) },
    h('td', { class: 'method' }, stats.method),
    h('td', {}, String(stats.calls)),
    h('td', {}, ms(stats.p50_ms)),
    h('td', {}, ms(stats.p99_ms)),
    h('td', { class: stats.errors > 0 ? 'failed' : '' }, errorsText(stats)),
  );
}

function render(view: RpcView): void {
  const [state, text] = printerLine(view);
  const printer = byId('rpc-printer');
  printer.dataset.state = state;
  printer.replaceChildren(h('code', {}, 'printer.status'), ' ', text);
  byId('rpc-kitchen').replaceChildren(h('code', {}, 'kitchen'), ' ', kitchenLine(view));
  byId('rpc-timeout').textContent = `timeout ${view.timeout_ms} ms`;
  byId('rpc-calls')
    .querySelector('tbody')
    ?.replaceChildren(...view.calls.map(callRow));
}

/** Starts polling the server's calls into the panel. */
export function startRpcPanel(): void {
  let refreshing = false;
  const refresh = async () => {
    if (refreshing) return;
    refreshing = true;
    try {
      render(await call<RpcView>('GET', '/operator/rpc'));
    } catch {
      // The server is away (restarting): the next poll tries again; the badge says so.
    } finally {
      refreshing = false;
    }
  };
  void refresh();
  setInterval(() => void refresh(), POLL_MS);
}
