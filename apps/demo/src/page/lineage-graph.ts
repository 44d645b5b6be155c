/**
 * @module
 * The causation graph in an order's timeline: the lineage of the order's correlation
 * (`GET /operator/orders/:orderId/lineage`), which the server also gives as Mermaid's
 * text (`toMermaid`), drawn in the page by the `mermaid` package. Mermaid is big (a
 * first flowchart loads some 0.8 MB of it, thirty times the board's own code), so it
 * is imported on the first graph drawn, not with the board (build-page.mjs splits it
 * into chunks of its own). Whatever fails (the route, loading mermaid, drawing) is
 * said as text in the graph's place: the timeline beside it goes on.
 */

import type { Mermaid } from 'mermaid';
import type { LineageView } from '../operator-api.js';
import { call } from './api.js';
import { h } from './dom.js';

let loading: Promise<Mermaid> | undefined;

function loadMermaid(): Promise<Mermaid> {
  loading ??= import('mermaid').then(({ default: mermaid }) => {
    mermaid.initialize({
      startOnLoad: false,
      // Labels are the events' own text: drawn as text, sanitized, no links or scripts run.
      securityLevel: 'strict',
      // A failure is thrown to us, to be said as text, instead of drawn as Mermaid's error picture.
      suppressErrorRendering: true,
      // The classic layout: a chain of causes needs no more, and ELK (the default) weighs 1.5 MB more.
      layout: 'dagre',
    });
    return mermaid;
  });
  // Not kept when it failed (the server restarting): the next graph tries again.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

// The text each element shows drawn: a refresh that brings the same graph leaves it alone.
const drawn = new WeakMap<HTMLElement, string>();
let drawings = 0;

function caption(view: LineageView): string {
  const { nodes, truncated } = view.lineage;
  const events = `${nodes.length} event${nodes.length === 1 ? '' : 's'}${truncated ? ' (the first only)' : ''}`;
  return `correlation ${view.correlation_id} · ${events} · an arrow goes from a cause to its effect, a dotted one to what a consumer did with an event`;
}

/**
 * Draws the causation graph of `orderId` into `target`, its caption into `label`, or
 * says there why it cannot. A later call on the same element wins over an earlier one
 * still under way (a refresh, another order opened).
 */
export async function drawLineage(
  target: HTMLElement,
  label: HTMLElement,
  restaurant: string,
  orderId: string,
): Promise<void> {
  const drawing = String(++drawings);
  target.dataset.drawing = drawing;
  const current = () => target.dataset.drawing === drawing;
  try {
    const path = `/operator/orders/${encodeURIComponent(orderId)}/lineage?restaurant=${encodeURIComponent(restaurant)}`;
    const view = await call<LineageView>('GET', path);
    if (!current()) return;
    target.dataset.correlation = view.correlation_id;
    label.textContent = caption(view);
    if (drawn.get(target) === view.mermaid && target.dataset.state === 'drawn') return;
    const mermaid = await loadMermaid();
    const { svg } = await mermaid.render(`lineage-svg-${drawing}`, view.mermaid);
    if (!current()) return;
    // Mermaid's own output, sanitized by it (securityLevel strict).
    target.innerHTML = svg;
    target.dataset.state = 'drawn';
    drawn.set(target, view.mermaid);
  } catch (error) {
    if (!current()) return;
    target.dataset.state = 'error';
    drawn.delete(target);
    label.textContent = '';
    target.replaceChildren(h('p', { class: 'lineage-error' }, `No causation graph: ${String(error)}`));
  }
}
