/**
 * @module
 * The kitchen's estimate on the cards of orders still being made (created,
 * confirmed, preparing): the board asks the server once per order and page load
 * (`GET /orders/:orderId/estimate`, which calls `kitchen.estimate` over the rail),
 * and shows the answer, or why there is none: the kitchen's refusal (an order with
 * no items), its silence (a timeout), or a server away. Not kept with the board: an
 * estimate is the kitchen's word at one moment, not an event, so a reload asks again.
 */

import type { CallErrorView, EstimateView } from '../rpc-api.js';
import type { Step } from './board-state.js';
import { h } from './dom.js';

/** What a card shows of its order's estimate. */
export type CardEstimate =
  | { kind: 'asking' }
  | { kind: 'estimate'; view: EstimateView }
  | { kind: 'error'; code: string; message: string };

/** The steps a kitchen estimate is for: the order is not ready yet. */
const ESTIMATED: readonly Step[] = ['order.created', 'order.confirmed', 'order.preparing'];

export interface Estimates {
  /** The card's line for an order at `step`: asks the kitchen the first time; nothing once it is ready. */
  cardLine(orderId: string, step: Step): HTMLElement | null;
}

const clock = (iso: string) => iso.slice(11, 16);

async function ask(restaurant: string, orderId: string): Promise<CardEstimate> {
  try {
    const path = `/orders/${encodeURIComponent(orderId)}/estimate?restaurant=${encodeURIComponent(restaurant)}`;
    const response = await fetch(path);
    const body = (await response.json()) as EstimateView | CallErrorView | { error: { code: string; message: string } };
    if ('estimate' in body) return { kind: 'estimate', view: body };
    return { kind: 'error', code: body.error.code, message: body.error.message };
  } catch (error) {
    return { kind: 'error', code: 'unreachable', message: String(error) };
  }
}

function line(estimate: CardEstimate): HTMLElement {
  switch (estimate.kind) {
    case 'asking':
      return h('small', { class: 'estimate', 'data-state': 'asking' }, 'asking the kitchen…');
    case 'estimate': {
      const { estimate: e } = estimate.view;
      const why = `ready at ${clock(e.readyAt)}: ${e.cookMinutes} min cooking + ${e.waitMinutes} min behind ${e.ordersAhead} order(s), estimated by ${e.estimatedBy}`;
      return h(
        'small',
        { class: 'estimate', 'data-state': 'estimate', 'data-minutes': String(e.minutes), title: why },
        `ready in ~${e.minutes} min`,
      );
    }
    case 'error': {
      const text = estimate.code === 'rpc_timeout' ? 'the kitchen did not answer' : 'no estimate';
      return h(
        'small',
        { class: 'estimate', 'data-state': 'error', 'data-code': estimate.code, title: estimate.message },
        text,
      );
    }
  }
}

/** The estimates of `restaurant`'s orders; `changed` re-renders the board when one arrives. */
export function startEstimates(restaurant: string, changed: () => void): Estimates {
  const known = new Map<string, CardEstimate>();
  return {
    cardLine(orderId, step) {
      if (!ESTIMATED.includes(step)) return null;
      let estimate = known.get(orderId);
      if (estimate === undefined) {
        estimate = { kind: 'asking' };
        known.set(orderId, estimate);
        void ask(restaurant, orderId).then((answer) => {
          known.set(orderId, answer);
          changed();
        });
      }
      return line(estimate);
    },
  };
}
