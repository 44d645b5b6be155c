import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  deleteKeysUnder,
  describeWithChromium,
  describeWithRedis,
  freePort,
  launchChromium,
  uniquePrefix,
} from '@replayrail/testkit';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newTraceId, newTraceparent } from './traceparent.js';

// The operator's view in Chromium against the demo on Redis, started as `make demo`
// starts it (node dist/server.js), its printer and its kitchen processes of their
// own: an order's timeline and its causation graph, its card's estimate and the
// calls panel; the printer killed mid-ticket and the ticket printed by the next
// printer after it claims it; a poison order in the dead letters, redriven, and back
// after failing again. A screenshot of each view goes to .reports/ and, with
// UPDATE_SCREENSHOTS=1, to apps/demo/docs/ for the README.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const server = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const docs = fileURLToPath(new URL('../docs/', import.meta.url));

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(`${root}/.reports`, { recursive: true });
  await page.screenshot({ path: `${root}/.reports/demo-${name}.png` });
  if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: `${docs}${name}.png` });
}

describeWithRedis("the demo's operator view", (redisUrl) => {
  describeWithChromium('in Chromium, with Redis and a printer process', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('shows a timeline, a reclaim after the printer is killed mid-ticket, and a dead letter redriven', async () => {
      const port = await freePort();
      const prefix = uniquePrefix('rrdemo-op');
      const base = `http://127.0.0.1:${port}`;
      // Printing takes 4 s, so the kill lands mid-ticket; a dead printer's ticket is claimed after 3 s idle.
      const demo: ChildProcess = spawn(process.execPath, [server], {
        env: {
          ...process.env,
          PORT: String(port),
          REDIS_URL: redisUrl,
          STREAM_PREFIX: prefix,
          PRINTER_PRINT_MS: '4000',
          PRINTER_CLAIM_IDLE_MS: '3000',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => demo.once('exit', resolve));
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      try {
        await new Promise<void>((resolve, reject) => {
          demo.on('exit', (code) => reject(new Error(`demo exited with ${code}`)));
          demo.stdout?.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ReplayRail demo')) resolve();
          });
        });
        const traceId = newTraceId();
        const post = async (type: string, orderId: string) => {
          const response = await fetch(`${base}/events/restaurant:123:orders`, {
            method: 'POST',
            // The order's trace, as a request header: the demo's publish continues it.
            headers: { 'content-type': 'application/json', traceparent: newTraceparent(traceId) },
            body: JSON.stringify({
              type,
              payload: { order_id: orderId, items: [{ name: 'Risotto', qty: 2 }] },
              actor: { type: 'waiter', id: 'usr_e2e' },
              metadata: { correlation_id: `req_${orderId}` },
            }),
          });
          expect(response.status).toBe(201);
        };
        await page.goto(`${base}/?restaurant=123`);
        await page.waitForSelector('#badge[data-state="live"]');
        await page.waitForSelector('#printer-status[data-state="running"]', { timeout: 30_000 });

        // 1. An order printed as usual; its card opens its timeline across both channels.
        await post('order.created', 'ord_timeline');
        await post('order.confirmed', 'ord_timeline');
        await page.waitForSelector('#tickets li[data-order="ord_timeline"]', { timeout: 30_000 });
        await page.click('.card[data-order="ord_timeline"]');
        await page.waitForSelector('#timeline-panel[data-order="ord_timeline"] #timeline li:nth-child(3)');
        const timeline = await page.$$eval('#timeline li', (items) =>
          items.map((item) => [(item as HTMLElement).dataset.type, (item as HTMLElement).dataset.trace]),
        );
        expect(timeline).toEqual([
          ['order.created', traceId],
          ['order.confirmed', traceId],
          ['kitchen.ticket.created', traceId],
        ]);
        const text = await page.textContent('#timeline');
        expect(text).toContain('req_ord_timeline');
        expect(text).toContain('by waiter usr_e2e');
        expect(text).toContain('by service printer-1');
        // Its causation graph: the ticket the printer's process published, caused by the order's confirmation.
        await page.waitForFunction(
          () =>
            document
              .querySelector('#lineage-graph[data-state="drawn"] svg')
              ?.textContent?.includes('kitchen.ticket.created'),
          undefined,
          { timeout: 30_000 },
        );
        expect(await page.textContent('#lineage-caption')).toMatch(/^correlation req_ord_timeline · 3 events · /);
        expect(await page.$$('#lineage-graph svg .edgePaths path')).toHaveLength(1);
        await page.locator('#timeline-panel').scrollIntoViewIfNeeded();
        await screenshot(page, 'timeline');

        // 1b. Its card shows the kitchen's estimate, computed in the kitchen's own process
        // (2 Risotto, nothing ahead: 18 + 1 minutes); the calls panel shows the calls, and
        // the printer's answer to printer.status from its process.
        const estimate = await page.waitForSelector(
          '.card[data-order="ord_timeline"] .estimate[data-state="estimate"]',
          { timeout: 30_000 },
        );
        expect(await estimate.getAttribute('data-minutes')).toBe('19');
        expect(await estimate.getAttribute('title')).toMatch(/estimated by kitchen-\d+$/);
        await page.waitForSelector('#rpc-calls tr[data-method="kitchen.estimate"]:not([data-calls="0"])');
        await page.waitForSelector('#rpc-calls tr[data-method="printer.status"]:not([data-calls="0"])');
        await page.waitForSelector('#rpc-printer[data-state="waiting"]', { timeout: 30_000 });
        const printerPid = /pid (\d+)/.exec((await page.textContent('#printer-status')) ?? '')?.[1];
        expect(await page.textContent('#rpc-printer')).toContain(`printer-1 (pid ${printerPid})`);
        expect(await page.textContent('#rpc-kitchen')).toMatch(/kitchen-\d+ · its own process, pid \d+ · running/);
        await page.locator('#rpc-panel').scrollIntoViewIfNeeded();
        await screenshot(page, 'calls');

        // 2. The printer killed mid-ticket: the next one claims the order and prints it.
        await post('order.created', 'ord_killed');
        await post('order.confirmed', 'ord_killed');
        await page.waitForSelector('#printer-status[data-printing="ord_killed"]', { timeout: 30_000 });
        const first = await page.getAttribute('#printer-status', 'data-name');
        await page.click('#kill-printer');
        await page.waitForSelector(`#printer-killed li[data-name="${first}"]`);
        const ticket = await page.waitForSelector('#tickets li[data-order="ord_killed"]', { timeout: 60_000 });
        const printedBy = await ticket.getAttribute('data-printed-by');
        expect(printedBy).not.toBe(first);
        expect(Number(await ticket.getAttribute('data-attempt'))).toBeGreaterThanOrEqual(2);
        expect(await page.textContent('#printer-killed')).toContain(`killed ${first} mid-ticket: ord_killed`);
        expect(await page.$$('#tickets li[data-order="ord_killed"]')).toHaveLength(1);
        await page.waitForSelector('#printer-status[data-printing=""]');
        await page.locator('#printer-panel').scrollIntoViewIfNeeded();
        await screenshot(page, 'printer');

        // 3. A poison order ends in the dead letters; a redrive takes it out, and it comes back.
        await page.click('#poison');
        const dead = await page.waitForSelector('#dead-letters li[data-order^="ord_poison_"]', { timeout: 60_000 });
        const deadId = await dead.getAttribute('data-id');
        const poisonOrder = await dead.getAttribute('data-order');
        expect(await dead.textContent()).toContain('UnprintableOrderError: cannot print "Œufs en meurette"');
        expect(await dead.textContent()).toContain('3 attempts');
        await page.locator('#dead-letter-panel').scrollIntoViewIfNeeded();
        await screenshot(page, 'dead-letters');
        await page.click(`#dead-letters li[data-id="${deadId}"] .redrive`);
        await page.waitForSelector(`#dead-letters li[data-id="${deadId}"]`, { state: 'detached' });
        // It fails again: back as a new dead letter of the same order, never printed.
        await page.waitForFunction(
          ([order, id]) =>
            Array.from(document.querySelectorAll<HTMLElement>('#dead-letters li')).some(
              (item) => item.dataset.order === order && item.dataset.id !== id,
            ),
          [poisonOrder, deadId],
          { timeout: 60_000 },
        );
        expect(await page.$$(`#tickets li[data-order="${poisonOrder}"]`)).toHaveLength(0);

        // 4. The page's metrics link: the server's figures in the Prometheus text format.
        await Promise.all([page.waitForURL(`${base}/metrics`), page.click('a[href="/metrics"]')]);
        const metrics = (await page.textContent('body')) ?? '';
        expect(metrics).toMatch(/^replayrail_connections\{.*replayrail_transport="websocket".*\} [1-9]/m);
        expect(metrics).toMatch(/^messaging_client_sent_messages_total\{.*"restaurant:\{id\}:orders".*\} [1-9]/m);
        // The server's calls to the kitchen and the printer (their own side is in their processes).
        expect(metrics).toMatch(/^rpc_client_call_duration_count\{.*rpc_service="kitchen".*\} [1-9]/m);
        expect(metrics).toMatch(/^rpc_client_call_duration_count\{.*rpc_service="printer".*\} [1-9]/m);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
        // SIGTERM: the demo stops its printer process and waits for it, so nothing writes after the cleanup.
        if (demo.exitCode === null) demo.kill('SIGTERM');
        await exited;
        const redis = new Redis(redisUrl);
        // The consumer group's hash-tagged keys (`{<prefix>:<channel>}:dead:<group>`) too.
        await deleteKeysUnder(redis, prefix);
        await redis.quit();
      }
    }, 120_000);
  });
});
