/**
 * @module
 * The **Simulate traffic** button. The traffic runs on the server (the README's
 * "Simulate traffic"), so this only starts and stops it, and shows its state,
 * polled every second: every tab shows the same, and a reload stops nothing. Two
 * tabs pressing at once start one run (the server answers the second `started:
 * false`).
 */

import type { SimulatorStartAnswer, SimulatorStopAnswer, SimulatorView } from '../simulator-api.js';
import { call } from './api.js';
import { byId } from './dom.js';

const POLL_MS = 1_000;

const clock = (iso: string) => iso.slice(11, 19);

/** What the simulator is doing, in a few words; `restaurant` is the page's. */
function describe(view: SimulatorView, restaurant: string): string {
  const whose = view.restaurant !== null && view.restaurant !== restaurant ? ` for restaurant ${view.restaurant}` : '';
  const failed = view.orders_failed > 0 ? `, ${view.orders_failed} failed` : '';
  const counts = `${view.in_flight} under way, ${view.orders_delivered} delivered${failed}`;
  switch (view.state) {
    case 'running':
      return `${counts}${whose}, new orders until ${clock(view.ends_at ?? '')}`;
    case 'stopping':
      return `stopping${whose}: ${counts}`;
    case 'idle':
      return view.started_at === null ? '' : `last run${whose}: ${view.orders_delivered} delivered${failed}`;
  }
}

/** Wires the button and the status beside it for the page's `restaurant`; `notify` shows what went wrong. */
export function startSimulatorControl(restaurant: string, notify: (text: string) => void): void {
  const button = byId<HTMLButtonElement>('simulate');
  const status = byId('simulator-status');
  let running = false;

  function render(view: SimulatorView): void {
    running = view.state === 'running';
    button.dataset.state = view.state;
    button.textContent = running ? 'Stop traffic' : 'Simulate traffic';
    status.dataset.state = view.state;
    status.dataset.restaurant = view.restaurant ?? '';
    status.dataset.started = String(view.orders_started);
    status.dataset.delivered = String(view.orders_delivered);
    status.textContent = describe(view, restaurant);
  }

  async function refresh(): Promise<void> {
    try {
      render(await call<SimulatorView>('GET', '/simulator'));
    } catch {
      // The server is away (restarting): the next poll tries again; the badge says so.
    }
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const answer = running
        ? await call<SimulatorStopAnswer>('POST', '/simulator/stop')
        : await call<SimulatorStartAnswer>('POST', `/simulator/start?restaurant=${encodeURIComponent(restaurant)}`);
      render(answer.simulator);
    } catch (error) {
      notify(String(error));
    } finally {
      button.disabled = false;
    }
  });
  void refresh();
  setInterval(() => void refresh(), POLL_MS);
}
