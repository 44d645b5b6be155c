/**
 * @module
 * The operator's view beside the board: an order's timeline (opened by clicking its
 * card) with its causation graph (lineage-graph.ts), the ticket printer (its status,
 * its consumer group, a Kill button) and the printer's dead letters (a Redrive button
 * each). It polls the operator's routes every second: their figures (pending, idle
 * times, dead letters) are not events, so there is nothing to subscribe to. The
 * tickets themselves are events, and come with the board's subscription (main.ts
 * renders them). The open timeline is loaded again when an event of its order
 * arrives, and when the order's dead letters change: a dead-lettered or redriven mark
 * on its graph comes with no event.
 */

import type { DeadLettersView, DeadLetterView, PrinterView, TimelineView } from '../operator-api.js';
import type { TimelineEntry } from '../timeline.js';
import { call } from './api.js';
import { byId, h, time } from './dom.js';
import { drawLineage } from './lineage-graph.js';
import { sendPoisonOrder } from './poison-order.js';

const POLL_MS = 1_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function who(actor: TimelineEntry['actor']): string {
  return actor === null ? 'no actor' : `${String(actor.type ?? 'actor')} ${String(actor.id ?? '')}`.trim();
}

function timelineItem(entry: TimelineEntry): HTMLElement {
  // What the other columns show is left out of the metadata shown whole.
  const { correlation_id: _correlation, trace_context: _trace, ...rest } = entry.metadata;
  const channel = entry.channel.split(':').pop() ?? entry.channel;
  return h(
    'li',
    { 'data-id': entry.id, 'data-type': entry.type, 'data-trace': entry.trace_id ?? '' },
    h(
      'div',
      { class: 'line' },
      h('time', { datetime: entry.created_at }, time(entry.created_at)),
      h('strong', {}, entry.type),
      h('span', { class: 'channel', title: entry.channel }, channel),
      h('span', {}, `by ${who(entry.actor)}`),
    ),
    h(
      'dl',
      {},
      h('dt', {}, 'cursor'),
      h('dd', {}, entry.id),
      h('dt', {}, 'correlation'),
      h('dd', {}, entry.correlation_id ?? '—'),
      h('dt', {}, 'trace'),
      h('dd', { class: 'trace' }, entry.trace_id ?? '—'),
      h('dt', {}, 'metadata'),
      h('dd', {}, h('code', {}, JSON.stringify(rest))),
    ),
  );
}

function deadLetterItem(letter: DeadLetterView, redrive: (id: string) => void): HTMLElement {
  const button = h('button', { type: 'button', class: 'redrive' }, 'Redrive');
  button.addEventListener('click', () => redrive(letter.id));
  return h(
    'li',
    { 'data-id': letter.id, 'data-order': letter.order_id ?? '' },
    h(
      'div',
      { class: 'line' },
      h('strong', {}, letter.order_id ?? letter.origin),
      h('span', {}, `${letter.attempts} attempts, last by ${letter.consumer}`),
      button,
    ),
    h('p', { class: 'error' }, `${letter.error_name}: ${letter.error_message}`),
    h(
      'small',
      {},
      `failed first ${time(letter.first_failed_at)}, last ${time(letter.last_failed_at)} · dead letter ${letter.id} · entry ${letter.origin}`,
    ),
  );
}

export interface OperatorView {
  /** Opens (or refreshes) an order's timeline. */
  showTimeline(orderId: string): void;
  /** Tells the view an event about an order arrived: an open timeline of it is refreshed. */
  orderChanged(orderId: string): void;
}

/** Starts the operator's view of `restaurant`; `notify` shows what went wrong. */
export function startOperatorView(restaurant: string, notify: (text: string) => void): OperatorView {
  let openOrder: string | null = null;
  let timelineTimer: ReturnType<typeof setTimeout> | undefined;

  async function loadTimeline(orderId: string): Promise<void> {
    const path = `/operator/orders/${encodeURIComponent(orderId)}/timeline?restaurant=${encodeURIComponent(restaurant)}`;
    const view = await call<TimelineView>('GET', path);
    if (openOrder !== orderId) return; // another order was opened meanwhile
    const panel = byId('timeline-panel');
    panel.hidden = false;
    panel.dataset.order = orderId;
    byId('timeline-order').textContent = orderId;
    byId('timeline').replaceChildren(...view.events.map(timelineItem));
  }

  // The timeline, and its graph beside it: a graph that cannot be drawn says so in its place.
  function openTimeline(orderId: string): void {
    loadTimeline(orderId).catch((error: unknown) => notify(String(error)));
    void drawLineage(byId('lineage-graph'), byId('lineage-caption'), restaurant, orderId);
  }

  function renderPrinter(view: PrinterView): void {
    const { printer, consumer_group: group } = view;
    const status = byId('printer-status');
    status.dataset.state = printer?.state ?? 'none';
    status.dataset.name = printer?.name ?? '';
    status.dataset.printing = printer?.printing?.order_id ?? '';
    if (printer === null) {
      status.textContent = 'no printer runs in this demo';
    } else {
      const where = printer.mode === 'process' ? `its own process, pid ${printer.pid ?? '—'}` : 'in the demo’s process';
      const doing = printer.printing
        ? `printing ${printer.printing.order_id} (attempt ${printer.printing.attempt})`
        : printer.state === 'running'
          ? 'waiting for orders'
          : printer.state;
      status.replaceChildren(h('strong', {}, printer.name), ` · ${where} · ${doing}`);
    }
    byId('printer-killed').replaceChildren(
      ...(printer?.killed ?? [])
        .slice(0, 3)
        .map((kill) =>
          h(
            'li',
            { 'data-name': kill.name },
            `${time(kill.at)} killed ${kill.name}`,
            kill.printing ? ` mid-ticket: ${kill.printing.order_id} (attempt ${kill.printing.attempt})` : ' (idle)',
          ),
        ),
    );
    byId('printer-group').textContent =
      group === null
        ? `group ${view.group} on ${view.channel}: not created yet`
        : `group ${view.group} on ${view.channel}: pending ${group.pending} · lag ${group.lag ?? '?'} · dead letters ${group.deadLetters} · redriving ${group.redriving}`;
    const killed = new Set(printer?.killed.map((kill) => kill.name));
    byId('printer-consumers')
      .querySelector('tbody')
      ?.replaceChildren(
        ...(group?.consumers ?? []).map((consumer) =>
          h(
            'tr',
            { 'data-name': consumer.name, 'data-pending': String(consumer.pending) },
            h('td', {}, consumer.name),
            h('td', {}, String(consumer.pending)),
            h('td', {}, seconds(consumer.idleMs)),
            h('td', {}, consumer.name === printer?.name ? 'current' : killed.has(consumer.name) ? 'killed' : ''),
          ),
        ),
      );
  }

  async function redrive(body: { ids: string[] } | { all: true }): Promise<void> {
    try {
      await call('POST', '/operator/dead-letters/redrive', body);
      await refresh();
    } catch (error) {
      notify(String(error));
    }
  }

  // The open order's dead letters when last polled (null: not polled since it was opened).
  let openLetters: string | null = null;
  function renderDeadLetters(view: DeadLettersView): void {
    const letters = view.dead_letters.filter((letter) => letter.order_id === openOrder).map((letter) => letter.id);
    if (openOrder !== null && openLetters !== null && letters.join() !== openLetters) openTimeline(openOrder);
    openLetters = letters.join();
    byId('dead-letter-count').textContent = `(${view.dead_letters.length})`;
    byId('dead-letters').replaceChildren(
      ...view.dead_letters.map((letter) => deadLetterItem(letter, (id) => void redrive({ ids: [id] }))),
    );
  }

  let refreshing = false;
  async function refresh(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    try {
      const [printer, deadLetters] = await Promise.all([
        call<PrinterView>('GET', '/operator/printer'),
        call<DeadLettersView>('GET', '/operator/dead-letters'),
      ]);
      renderPrinter(printer);
      renderDeadLetters(deadLetters);
    } catch {
      // The server is away (restarting): the next poll tries again; the badge says so.
    } finally {
      refreshing = false;
    }
  }

  byId('kill-printer').addEventListener('click', async () => {
    try {
      await call('POST', '/operator/printer/kill');
      await refresh();
    } catch (error) {
      notify(String(error));
    }
  });
  byId('redrive-all').addEventListener('click', () => void redrive({ all: true }));
  byId('poison').addEventListener('click', () => {
    sendPoisonOrder(restaurant).catch((error: unknown) => notify(String(error)));
  });
  byId('timeline-close').addEventListener('click', () => {
    openOrder = null;
    byId('timeline-panel').hidden = true;
  });
  void refresh();
  setInterval(() => void refresh(), POLL_MS);

  return {
    showTimeline(orderId) {
      openOrder = orderId;
      openLetters = null;
      openTimeline(orderId);
    },
    orderChanged(orderId) {
      if (orderId !== openOrder) return;
      // Events come in bursts (a replay): one reload after the burst.
      clearTimeout(timelineTimer);
      timelineTimer = setTimeout(() => openTimeline(orderId), 200);
    },
  };
}
