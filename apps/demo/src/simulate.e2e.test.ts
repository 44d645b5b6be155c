import { describeWithChromium, launchChromium } from '@replayrail/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type Demo, startDemo } from './app.js';
import { compareByCursor, type EventPlace } from './event-order.js';
import type { SimulatorView } from './simulator-api.js';

// "Simulate traffic" in Chromium, on the memory store. The traffic runs on the
// server: a reload mid-traffic stops nothing, and every order reaches delivered. The
// audit trail is the newest events of both channels in cursor order, newest first,
// the same on a second tab, on a new browser (a replay of everything) and after
// "Replay from scratch". And a restarted store under the board, rebuilt from the snapshot.
const AUDIT_SHOWN = 50;
const live = () => document.querySelector('#badge')?.getAttribute('data-state') === 'live';

describeWithChromium('the demo board: Simulate traffic, in Chromium', () => {
  let browser: Browser;
  let demo: Demo;
  beforeAll(async () => {
    // The page as the build made it (tests run this module from its source). Short runs, few orders at once.
    demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      publicDir: new URL('../dist/public/', import.meta.url),
      simulator: { durationMs: 4_000, maxInFlight: 3 },
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  const base = () => `http://127.0.0.1:${demo.port}`;
  /** The audit trail as a page shows it: channel and cursor of each entry, top to bottom. */
  const auditOf = (page: Page): Promise<EventPlace[]> =>
    page.$$eval('#audit li', (items) =>
      items.map((item) => ({ channel: (item as HTMLElement).dataset.channel ?? '', id: item.dataset.id ?? '' })),
    );
  /** What the trail should be: the newest events of the restaurant's channels, by cursor, newest first. */
  const expectedAudit = async (restaurant: string): Promise<EventPlace[]> => {
    const events: EventPlace[] = [];
    for (const channel of [`restaurant:${restaurant}:orders`, `restaurant:${restaurant}:kitchen`]) {
      const response = await fetch(`${base()}/events/${channel}?after=0-0&limit=1000`);
      for (const event of ((await response.json()) as { events: EventPlace[] }).events) {
        events.push({ channel: event.channel, id: event.id });
      }
    }
    return events.sort((a, b) => compareByCursor(b, a)).slice(0, AUDIT_SHOWN);
  };

  it('keeps the traffic going across a reload, and shows one audit trail, newest first, on every tab', async () => {
    const restaurant = 'sim';
    // Twelve earlier orders, all steps at once (60 events): more than the trail shows, so a
    // replay that kept the last events in arrival order would show only kitchen events.
    for (let n = 0; n < 12; n++) {
      for (const [channel, type] of [
        ['orders', 'order.created'],
        ['orders', 'order.confirmed'],
        ['kitchen', 'order.preparing'],
        ['kitchen', 'order.ready'],
        ['orders', 'order.delivered'],
      ]) {
        const response = await fetch(`${base()}/events/restaurant:${restaurant}:${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            type,
            payload: { order_id: `ord_earlier_${n}` },
            actor: { type: 'waiter', id: 'usr_1' },
          }),
        });
        expect(response.status).toBe(201);
      }
    }
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base()}/?restaurant=${restaurant}`);
    await page.waitForFunction(live);
    await page.click('#simulate');
    await page.waitForSelector('#simulator-status[data-state="running"]');
    // Orders mid-way (confirmed, preparing or ready) when the page goes away.
    const midway =
      '.card[data-step="order.confirmed"], .card[data-step="order.preparing"], .card[data-step="order.ready"]';
    await page.waitForSelector(midway, { timeout: 20_000 });
    const inFlight = await page.$$eval(midway, (cards) => cards.map((card) => (card as HTMLElement).dataset.order));
    await page.reload();
    await page.waitForFunction(live);

    // The server went on: the run ends by itself, and every order it started is delivered.
    // (data-started is set from the server's answer, never by the page's HTML.)
    await page.waitForSelector('#simulator-status[data-state="idle"][data-started]:not([data-started="0"])', {
      timeout: 30_000,
    });
    const run = (await (await fetch(`${base()}/simulator`)).json()) as SimulatorView;
    expect(run).toMatchObject({ state: 'idle', restaurant, orders_failed: 0 });
    expect(run.orders_delivered).toBe(run.orders_started);
    await page.waitForFunction(
      (count) => document.querySelectorAll('.column[data-step="order.delivered"] .card').length === count,
      12 + run.orders_started,
      { timeout: 20_000 },
    );
    expect(await page.$$('.card:not([data-step="order.delivered"])')).toHaveLength(0);
    for (const order of inFlight) {
      expect(await page.getAttribute(`.card[data-order="${order}"]`, 'data-step'), order).toBe('order.delivered');
    }
    const audit = await page.textContent('#audit');
    expect(audit).toContain('by chef usr_chef');
    expect(audit).toContain('"source":"simulator"');

    // The trail: both channels, newest first, the newest events of all.
    const expected = await expectedAudit(restaurant);
    expect(expected).toHaveLength(AUDIT_SHOWN);
    expect(new Set(expected.map((entry) => entry.channel)).size).toBe(2);
    await vi.waitFor(async () => expect(await auditOf(page)).toEqual(expected), { timeout: 10_000 });

    // A second tab (resuming from the saved board), a new browser (replaying everything),
    // and "Replay from scratch": the same trail.
    const second = await context.newPage();
    second.on('pageerror', (error) => errors.push(error.message));
    await second.goto(`${base()}/?restaurant=${restaurant}`);
    await second.waitForFunction(live);
    await vi.waitFor(async () => expect(await auditOf(second)).toEqual(expected), { timeout: 10_000 });
    const fresh = await browser.newPage();
    fresh.on('pageerror', (error) => errors.push(error.message));
    await fresh.goto(`${base()}/?restaurant=${restaurant}`);
    await fresh.waitForFunction(live);
    await vi.waitFor(async () => expect(await auditOf(fresh)).toEqual(expected), { timeout: 10_000 });
    await Promise.all([second.waitForEvent('load'), second.click('#reset')]);
    await second.waitForFunction(live);
    await vi.waitFor(async () => expect(await auditOf(second)).toEqual(expected), { timeout: 10_000 });
    expect(errors).toEqual([]);
    await fresh.close();
    await context.close();
  }, 90_000);

  it('rebuilds the board from the snapshot when the memory store restarts empty, and goes on', async () => {
    const page = await browser.newPage();
    const port = demo.port;
    const post = (orderId: string) =>
      fetch(`http://127.0.0.1:${port}/events/restaurant:restart:orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'order.created', payload: { order_id: orderId } }),
      });
    await page.goto(`http://127.0.0.1:${port}/?restaurant=restart`);
    await post('ord_before');
    await page.waitForSelector('[data-order="ord_before"]');
    // The demo stops and starts again on the same port, its memory store empty.
    await demo.close();
    demo = await startDemo({ port, host: '127.0.0.1', publicDir: new URL('../dist/public/', import.meta.url) });
    await page.waitForFunction(() => !(document.querySelector('#notice') as HTMLElement).hidden, undefined, {
      timeout: 10_000,
    });
    expect(await page.textContent('#notice')).toContain('stream_reset');
    expect(await page.textContent('#notice')).toContain("rebuilt from the server's snapshot");
    // What the new server has: no ord_before any more, as on a board opened now.
    await page.waitForSelector('[data-order="ord_before"]', { state: 'detached' });
    await post('ord_after');
    await page.waitForSelector('[data-order="ord_after"]');
    await page.close();
  }, 60_000);
});
