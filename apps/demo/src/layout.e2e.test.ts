import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeWithChromium, launchChromium } from '@replayrail/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Demo, startDemo } from './app.js';

// The board and the operator's view in Chromium at a phone's width (360 px), a small
// laptop's (800, 1,024) and a wide screen's (1,440), the cards with their kitchen
// estimates, the calls panel filled and an order's causation graph drawn: nothing of the board covered,
// every column on screen or reachable by scrolling, order and trace IDs whole, panel buttons
// on their title's row, no console error (the favicon included). A screenshot of
// each width goes to .reports/ and, with UPDATE_SCREENSHOTS=1, to apps/demo/docs/.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const docs = fileURLToPath(new URL('../docs/', import.meta.url));

/** Where the operator's view goes at each width: below the board, or beside it. */
const WIDTHS: [width: number, height: number, operator: 'below' | 'beside'][] = [
  [360, 780, 'below'],
  [800, 900, 'below'],
  [1_024, 900, 'below'],
  [1_440, 900, 'beside'],
];
const STEPS: [channel: string, type: string][] = [
  ['orders', 'order.created'],
  ['orders', 'order.confirmed'],
  ['kitchen', 'order.preparing'],
  ['kitchen', 'order.ready'],
  ['orders', 'order.delivered'],
];

/**
 * What is wrong with the page's layout now, in words (none: an empty list). Runs in
 * the page; scrolls each column into view to see that it can be reached.
 */
function layoutProblems(expected: 'below' | 'beside'): string[] {
  const problems: string[] = [];
  const rect = (element: Element) => element.getBoundingClientRect();
  const overlap = (a: DOMRect, b: DOMRect) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  // Visible where it is: the topmost element at that point is it, or inside it.
  const uncovered = (element: Element, x: number, y: number) => element.contains(document.elementFromPoint(x, y));
  const width = document.documentElement.clientWidth;

  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in ${width}`);
  }
  const board = document.querySelector('#board') as HTMLElement;
  const operator = document.querySelector('#operator') as HTMLElement;
  const columns = [...document.querySelectorAll<HTMLElement>('#board .column')];
  if (columns.length !== 5) problems.push(`${columns.length} columns`);
  const panels = [operator, ...operator.querySelectorAll('.panel')];
  for (const column of columns) {
    for (const panel of panels) {
      if (overlap(rect(column), rect(panel))) problems.push(`${column.dataset.step} overlaps #${panel.id}`);
    }
  }
  const where =
    rect(operator).top >= rect(board).bottom ? 'below' : rect(operator).left >= rect(board).right ? 'beside' : 'over';
  if (where !== expected) problems.push(`the operator's view is ${where} the board, not ${expected} it`);

  for (const column of columns) {
    column.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    const box = rect(column);
    const title = rect(column.querySelector('h2') as Element);
    if (box.left < 0 || box.right > width) problems.push(`${column.dataset.step} cannot be scrolled whole into view`);
    if (!uncovered(column, title.left + 4, title.top + title.height / 2)) {
      problems.push(`${column.dataset.step} is covered`);
    }
    for (const id of column.querySelectorAll<HTMLElement>('.order-id')) {
      const range = document.createRange();
      range.selectNodeContents(id);
      const lines = new Set([...range.getClientRects()].map((line) => Math.round(line.top))).size;
      if (lines !== 1) problems.push(`${id.textContent} is broken over ${lines} lines`);
      if (id.scrollWidth > id.clientWidth) problems.push(`${id.textContent} is cut short`);
    }
  }
  // The timeline's trace IDs too.
  for (const trace of document.querySelectorAll<HTMLElement>('#timeline .trace')) {
    if (trace.scrollWidth > trace.clientWidth) problems.push(`trace ${trace.textContent} is cut short`);
  }
  // The causation graph, scaled to the timeline's panel.
  const graph = document.querySelector('#lineage-graph svg');
  const timeline = document.querySelector('#timeline-panel') as Element;
  if (graph === null) problems.push('no causation graph');
  else if (rect(graph).left < rect(timeline).left || rect(graph).right > rect(timeline).right) {
    problems.push(`the causation graph is ${Math.round(rect(graph).width)} px wide in ${rect(timeline).width}`);
  }
  for (const panel of panels.slice(1)) {
    panel.scrollIntoView({ block: 'nearest' });
    const box = rect(panel);
    if (!uncovered(panel, box.left + 4, box.top + 4)) problems.push(`#${panel.id} is covered`);
  }
  // A panel's buttons stay on its title's row, to its right, each on one line.
  for (const header of document.querySelectorAll<HTMLElement>('.panel:not([hidden]) > header')) {
    const title = rect(header.querySelector('h2') as Element);
    for (const button of header.querySelectorAll('button')) {
      const box = rect(button);
      if (box.left < title.right || box.top >= title.bottom || box.bottom <= title.top) {
        problems.push(`"${button.textContent}" is not beside "${header.querySelector('h2')?.textContent}"`);
      }
      if (
        button.scrollWidth > button.clientWidth ||
        box.height > 2 * Number.parseFloat(getComputedStyle(button).lineHeight)
      ) {
        problems.push(`"${button.textContent}" wraps`);
      }
    }
  }
  // As a reader first sees it: the board and the page at their start.
  board.scrollLeft = 0;
  window.scrollTo(0, 0);
  return problems;
}

describeWithChromium("the demo's layout, in Chromium", () => {
  let browser: Browser;
  let demo: Demo;
  beforeAll(async () => {
    // The page as the build made it (tests run this module from its source); a quick printer.
    demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      publicDir: new URL('../dist/public/', import.meta.url),
      printer: { printMs: 100 },
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(`${root}/.reports`, { recursive: true });
    await page.screenshot({ path: `${root}/.reports/demo-${name}.png`, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: `${docs}${name}.png`, fullPage: true });
  }

  it('serves its icon', async () => {
    const base = `http://127.0.0.1:${demo.port}`;
    const svg = await fetch(`${base}/favicon.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(await svg.text()).toMatch(/^<svg /);
    const ico = await fetch(`${base}/favicon.ico`, { redirect: 'manual' });
    expect(ico.status).toBe(301);
    expect(ico.headers.get('location')).toBe('/favicon.svg');
  });

  it('shows the board whole from 360 px to 1,440 px, the operator below or beside it', async () => {
    const base = `http://127.0.0.1:${demo.port}`;
    const post = async (channel: string, type: string, orderId: string, items?: object[]) => {
      const response = await fetch(`${base}/events/restaurant:123:${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type,
          payload: { order_id: orderId, ...(items && { table: 12, items }) },
          actor: { type: 'waiter', id: 'usr_2' },
          metadata: { correlation_id: `req_${orderId}`, source: 'layout-test' },
        }),
      });
      expect(response.status).toBe(201);
    };
    // Two orders at each step, with IDs as long as the simulator's, and a poison order
    // (the longest ID the demo makes) in the dead letters.
    const time = Date.now().toString(36);
    for (const [step] of STEPS.entries()) {
      for (const n of [0, 1]) {
        const orderId = `ord_${time}${step}${n}`;
        for (const [channel, type] of STEPS.slice(0, step + 1)) {
          await post(channel, type, orderId, [
            { name: 'Margherita', qty: 2 },
            { name: 'Caesar salad', qty: 1 },
          ]);
        }
      }
    }
    const poison = `ord_poison_${time}`;
    await post('orders', 'order.created', poison, [{ name: 'Œufs en meurette', qty: 1 }]);
    await post('orders', 'order.confirmed', poison, [{ name: 'Œufs en meurette', qty: 1 }]);

    const page = await browser.newPage({ viewport: { width: 1_440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${base}/`);
    await page.waitForFunction(() => document.querySelector('#badge')?.getAttribute('data-state') === 'live');
    expect(await page.getAttribute('link[rel="icon"]', 'href')).toBe('/favicon.svg');
    await page.waitForSelector(`#dead-letters li[data-order="${poison}"]`, { timeout: 30_000 });
    await page.waitForSelector(`#tickets li[data-order="ord_${time}41"]`, { timeout: 30_000 });
    // The kitchen's estimates on the cards still being made, and the calls panel with them.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.card .estimate[data-state="estimate"]').length === 7 &&
        document.querySelector('#rpc-calls tr[data-method="kitchen.estimate"]:not([data-calls="0"])') !== null,
      undefined,
      { timeout: 30_000 },
    );
    // The poison order's timeline open, under the board.
    await page.click(`.card[data-order="${poison}"]`);
    await page.waitForSelector(`#timeline-panel[data-order="${poison}"] #timeline li:nth-child(2)`);
    // With its causation graph drawn (and its dead-lettered mark): never wider than the panel.
    await page.waitForFunction(
      () => document.querySelector('#lineage-graph[data-state="drawn"] svg')?.textContent?.includes('dead-lettered'),
      undefined,
      { timeout: 30_000 },
    );

    for (const [width, height, operator] of WIDTHS) {
      await page.setViewportSize({ width, height });
      expect(await page.evaluate(layoutProblems, operator), `at ${width} px`).toEqual([]);
      await screenshot(page, `layout-${width}`);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
