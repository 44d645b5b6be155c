import { mkdirSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeWithChromium, launchChromium } from '@replayrail/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Demo, startDemo } from './app.js';

// An order's causation graph in Chromium, on the memory store (the printer in the
// demo's process): a simulated order's card opens its timeline, and mermaid, loaded
// then and not with the board, draws its lineage: the order's five steps and the
// ticket the printer made of its confirmation. A poison order's graph shows the
// printer's dead-lettered mark, and after a redrive the redriven one, with no reload.
// An order with no correlation has no graph, said in its place as text, and its
// timeline all the same. A screenshot of the timeline goes to .reports/ and, with
// UPDATE_SCREENSHOTS=1, to apps/demo/docs/lineage.png for the README.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const live = () => document.querySelector('#badge')?.getAttribute('data-state') === 'live';

/** Waits until the timeline's graph is drawn for `orderId` and its SVG says each of `texts`; answers its text. */
async function drawnGraph(page: Page, orderId: string, texts: string[]): Promise<string> {
  await page.waitForFunction(
    ([order, wanted]) => {
      const panel = document.querySelector(`#timeline-panel[data-order="${order}"]`);
      const svg = panel?.querySelector('#lineage-graph[data-state="drawn"] svg');
      return wanted.every((text) => svg?.textContent?.includes(text));
    },
    [orderId, texts] as const,
    { timeout: 30_000 },
  );
  return (await page.textContent('#lineage-graph svg')) ?? '';
}

describeWithChromium("the demo's causation graph, in Chromium", () => {
  let browser: Browser;
  let demo: Demo;
  beforeAll(async () => {
    // The page as the build made it (tests run this module from its source); a quick
    // printer, and a short run of traffic: an order or two.
    demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      publicDir: new URL('../dist/public/', import.meta.url),
      printer: { printMs: 100 },
      simulator: { durationMs: 1_000, maxInFlight: 1 },
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it("serves the page's chunks, and nothing else under /chunks/", async () => {
    const base = `http://127.0.0.1:${demo.port}`;
    const built = readdirSync(new URL('../dist/public/chunks/', import.meta.url));
    const core = built.find((file) => /^mermaid\.core-\w+\.js$/.test(file));
    const chunk = await fetch(`${base}/chunks/${core}`);
    expect(chunk.status).toBe(200);
    expect(chunk.headers.get('content-type')).toContain('javascript');
    expect(chunk.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/chunks/${core}.map`)).headers.get('content-type')).toBe('application/json');
    for (const path of [
      '/chunks/..%2Fserver.js',
      '/chunks/..%2F..%2Fpackage.json',
      '/chunks/.js',
      '/chunks/nothing.js',
    ]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
  });

  it("draws an order's lineage in its timeline, marks a dead letter and its redrive, and says when there is none", async () => {
    const base = `http://127.0.0.1:${demo.port}`;
    const page = await browser.newPage({ viewport: { width: 1_200, height: 900 } });
    const errors: string[] = [];
    const chunks: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // The one refusal the test asks for (an order with no correlation) is logged by the browser as a failed load.
      if (message.type() === 'error' && !message.text().includes('404')) errors.push(message.text());
    });
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/chunks/')) chunks.push(pathname);
    });
    // esbuild's chunks of mermaid's code (one of them shared with the board: the bundler's own helpers).
    const mermaidChunks = () => chunks.filter((path) => path.startsWith('/chunks/mermaid'));
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().includes('/ord_uncorrelated/')) {
        errors.push(`${response.status()} ${response.url()}`);
      }
    });
    try {
      await page.goto(`${base}/`);
      await page.waitForFunction(live);
      await page.waitForSelector('#printer-status[data-state="running"]', { timeout: 30_000 });

      // 1. A simulated order, printed and delivered: its graph is its five steps and its ticket.
      await page.click('#simulate');
      const card = await page.waitForSelector('.column[data-step="order.delivered"] .card:has(.ticket)', {
        timeout: 30_000,
      });
      const orderId = (await card.getAttribute('data-order')) as string;
      expect(mermaidChunks()).toEqual([]); // not loaded with the board
      await card.click();
      const steps = ['order.created', 'order.confirmed', 'order.preparing', 'order.ready', 'order.delivered'];
      const graph = await drawnGraph(page, orderId, [...steps, 'kitchen.ticket.created']);
      expect(graph).toContain('restaurant:123:orders');
      expect(graph).toContain('restaurant:123:kitchen');
      expect(mermaidChunks()).toContainEqual(expect.stringMatching(/^\/chunks\/mermaid\.core-\w+\.js$/));
      // Six events, an arrow from each cause to its effect: five, the ticket's from order.confirmed.
      expect(await page.textContent('#lineage-caption')).toMatch(/^correlation req_\w+ · 6 events · /);
      expect(await page.$$('#lineage-graph svg .edgePaths path')).toHaveLength(5);
      // The timeline's events are listed below the graph, as before.
      await page.waitForSelector(`#timeline-panel[data-order="${orderId}"] #timeline li:nth-child(6)`);
      await page.locator('#timeline-panel').scrollIntoViewIfNeeded();
      mkdirSync(`${root}/.reports`, { recursive: true });
      await page.locator('#timeline-panel').screenshot({ path: `${root}/.reports/demo-lineage.png` });
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        await page.locator('#timeline-panel').screenshot({ path: `${docs}lineage.png` });
      }

      // 2. A poison order: dead-lettered by the printer, marked on its graph; redriven, marked again.
      await page.click('#poison');
      const dead = await page.waitForSelector('#dead-letters li[data-order^="ord_poison_"]', { timeout: 30_000 });
      const poison = (await dead.getAttribute('data-order')) as string;
      await page.click(`.card[data-order="${poison}"]`);
      const marked = await drawnGraph(page, poison, ['order.confirmed', 'dead-lettered by ticket-printer']);
      expect(marked).toContain('cannot print');
      await page.click(`#dead-letters li[data-order="${poison}"] .redrive`);
      // No event comes with a mark: the page draws it again when the order's dead letters change.
      await drawnGraph(page, poison, ['redriven by ticket-printer']);

      // 3. An order posted with no correlation: no graph, said as text; the timeline is there all the same.
      const posted = await fetch(`${base}/events/restaurant:123:orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'order.created',
          payload: { order_id: 'ord_uncorrelated', table: 3, items: [{ name: 'Risotto', qty: 1 }] },
        }),
      });
      expect(posted.status).toBe(201);
      await page.click('.card[data-order="ord_uncorrelated"]');
      await page.waitForSelector('#timeline-panel[data-order="ord_uncorrelated"] #timeline li');
      await page.waitForSelector('#lineage-graph[data-state="error"] .lineage-error');
      expect(await page.textContent('#lineage-graph')).toContain('name no metadata.correlation_id');
      expect(await page.$('#lineage-graph svg')).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);
});
