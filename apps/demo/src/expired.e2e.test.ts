import { describeWithChromium, launchChromium } from '@replayrail/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type Demo, startDemo } from './app.js';

// A board opened after its history expired, in Chromium, on the memory store: the
// board saved its state and cursors, closed, and the channels' retention (a second
// here, a day in the demo) trimmed everything its cursors pointed into. Reopened,
// it comes back through the snapshots to exactly what a board opened fresh shows,
// and goes on live; with ?onExpired=error it reports the expiry as it always did,
// and goes on without what it missed.
const RESTAURANT = 'weekend';
const HISTORY_MS = 1_000;
const STORAGE_KEY = `replayrail-demo:${RESTAURANT}`;
const CHANNELS = ['orders', 'kitchen'].map((name) => `restaurant:${RESTAURANT}:${name}`);
const live = () => document.querySelector('#badge')?.getAttribute('data-state') === 'live';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a board shows: each column's cards (ID and lines, not the kitchen's estimate), its tickets, its audit trail. */
const boardOf = (page: Page) =>
  page.evaluate(() => ({
    columns: [...document.querySelectorAll<HTMLElement>('.column')].map((column) => ({
      step: column.dataset.step,
      cards: [...column.querySelectorAll<HTMLElement>('.card')].map((card) => [
        card.dataset.order,
        ...[...card.querySelectorAll('small:not(.estimate)')].map((line) => line.textContent),
      ]),
    })),
    tickets: [...document.querySelectorAll('#tickets li')].map((item) => item.textContent),
    audit: [...document.querySelectorAll<HTMLElement>('#audit li')].map(
      (item) => `${item.dataset.id} ${item.textContent}`,
    ),
  }));

/** The board's cards as `order step`, for a readable expectation. */
const cardsOf = async (page: Page) =>
  page.$$eval('.card', (cards) =>
    cards.map((card) => `${(card as HTMLElement).dataset.order} ${(card as HTMLElement).dataset.step}`).sort(),
  );

describeWithChromium('the demo board opened after its history expired, in Chromium', () => {
  let browser: Browser;
  let demo: Demo;
  beforeAll(async () => {
    // The page as the build made it; history kept for a second, so it can expire in a test.
    demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      publicDir: new URL('../dist/public/', import.meta.url),
      printer: false,
      kitchen: false,
      historyMaxAgeMs: HISTORY_MS,
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  const base = () => `http://127.0.0.1:${demo.port}`;
  const post = async (channel: 'orders' | 'kitchen', type: string, payload: Record<string, unknown>) => {
    const response = await fetch(`${base()}/events/restaurant:${RESTAURANT}:${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type, payload, actor: { type: 'waiter', id: 'usr_1' } }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const lastIds = async () =>
    Promise.all(
      CHANNELS.map(async (channel) => {
        const page = (await (await fetch(`${base()}/events/${channel}?after=0-0&limit=1000`)).json()) as {
          events: { id: string }[];
        };
        return page.events.at(-1)?.id;
      }),
    );
  const savedCursors = async (page: Page) =>
    page.evaluate(
      (key) => (JSON.parse(localStorage.getItem(key) ?? '{}') as { cursors?: object }).cursors,
      STORAGE_KEY,
    );

  it('comes back through the snapshot to what a fresh board shows; with onExpired=error, reports the expiry', async () => {
    const errors: string[] = [];
    // Friday: orders at every step, a ticket printed after its order was ready.
    const fridayIds = [
      await post('orders', 'order.created', { order_id: 'ord_1', table: 3, items: [{ name: 'Risotto', qty: 2 }] }),
      await post('orders', 'order.confirmed', { order_id: 'ord_1' }),
      await post('kitchen', 'order.preparing', { order_id: 'ord_1', station: 'pasta' }),
      await post('kitchen', 'order.ready', { order_id: 'ord_1' }),
      await post('kitchen', 'kitchen.ticket.created', { order_id: 'ord_1', printed_by: 'printer-1', attempt: 1 }),
      await post('orders', 'order.delivered', { order_id: 'ord_1' }),
      await post('orders', 'order.created', { order_id: 'ord_2', table: 5 }),
      await post('orders', 'order.confirmed', { order_id: 'ord_2' }),
      await post('kitchen', 'order.preparing', { order_id: 'ord_2' }),
      await post('orders', 'order.created', { order_id: 'ord_3' }),
    ];

    // A board that saw all of it, saved it with its cursors, and closed.
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const first = await context.newPage();
    first.on('pageerror', (error) => errors.push(error.message));
    await first.goto(`${base()}/?restaurant=${RESTAURANT}`);
    await first.waitForFunction(live);
    const friday = await lastIds();
    await vi.waitFor(async () => expect(Object.values((await savedCursors(first)) ?? {})).toEqual(friday), {
      timeout: 10_000,
    });
    expect(await cardsOf(first)).toEqual(['ord_1 order.delivered', 'ord_2 order.preparing', 'ord_3 order.created']);
    const saved = await first.evaluate((key) => localStorage.getItem(key), STORAGE_KEY);
    await first.close();

    // The weekend: older than the history the channels keep (a wait, not a measurement),
    // then Monday's events, whose appends trim everything before them.
    await sleep(HISTORY_MS + 500);
    await post('kitchen', 'order.ready', { order_id: 'ord_2' });
    await post('kitchen', 'kitchen.ticket.created', { order_id: 'ord_2', printed_by: 'printer-2', attempt: 2 });
    await post('orders', 'order.confirmed', { order_id: 'ord_3' });
    await post('orders', 'order.created', { order_id: 'ord_4', table: 9 });
    for (const [index, channel] of CHANNELS.entries()) {
      const response = await fetch(`${base()}/events/${channel}?after=${friday[index]}`);
      expect(response.status, `${channel} after the saved cursor`).toBe(410);
    }

    // Reopened: both cursors expired, each channel reset and taken from its snapshot.
    const reopened = await context.newPage();
    reopened.on('pageerror', (error) => errors.push(error.message));
    await reopened.goto(`${base()}/?restaurant=${RESTAURANT}`);
    await reopened.waitForFunction(live);
    const expected = ['ord_1 order.delivered', 'ord_2 order.ready', 'ord_3 order.confirmed', 'ord_4 order.created'];
    await vi.waitFor(async () => expect(await cardsOf(reopened)).toEqual(expected), { timeout: 10_000 });
    const notice = await reopened.textContent('#notice');
    expect(notice).toContain('replay_window_expired');
    expect(notice).toContain("rebuilt from the server's snapshot");
    // Cursors kept again once the snapshots were complete: the channels' last IDs.
    const monday = await lastIds();
    await vi.waitFor(async () => expect(Object.values((await savedCursors(reopened)) ?? {})).toEqual(monday), {
      timeout: 10_000,
    });

    // A board opened fresh, in a browser that never saw the restaurant: the same board.
    const freshContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const fresh = await freshContext.newPage();
    fresh.on('pageerror', (error) => errors.push(error.message));
    await fresh.goto(`${base()}/?restaurant=${RESTAURANT}`);
    await fresh.waitForFunction(live);
    await vi.waitFor(async () => expect(await cardsOf(fresh)).toEqual(expected), { timeout: 10_000 });
    const shown = await boardOf(fresh);
    expect(await boardOf(reopened)).toEqual(shown);
    // Friday's table, items and ticket are on the cards; the ticket printed on Friday is in the list.
    expect(shown.columns.find((column) => column.step === 'order.delivered')?.cards).toEqual([
      ['ord_1', 'table 3 · 2× Risotto', 'ticket by printer-1, attempt 1'],
    ]);
    expect(shown.tickets).toHaveLength(2);
    expect(shown.audit).toHaveLength(14);

    // Live from there, on both alike.
    const ord5 = await post('orders', 'order.created', { order_id: 'ord_5' });
    for (const page of [reopened, fresh]) await page.waitForSelector('[data-order="ord_5"]');
    expect(await boardOf(reopened)).toEqual(await boardOf(fresh));

    // onExpired=error: the board saved on Friday, reopened the way it always was.
    const errorContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const reported = await errorContext.newPage();
    reported.on('pageerror', (error) => errors.push(error.message));
    await reported.goto(`${base()}/favicon.svg`);
    await reported.evaluate(
      ([key, value]) => localStorage.setItem(key as string, value as string),
      [STORAGE_KEY, saved],
    );
    await reported.goto(`${base()}/?restaurant=${RESTAURANT}&onExpired=error`);
    await reported.waitForFunction(live);
    await reported.waitForSelector('[data-order="ord_5"]');
    const told = await reported.textContent('#notice');
    expect(told).toContain('replay_window_expired');
    expect(told).toContain('the board continues from now');
    // It goes on without what it missed: none of Friday's events is in its trail, nor
    // Friday's ticket in its list (what it shows of the channels is what they still hold).
    const withoutFriday = await boardOf(reported);
    const trail = withoutFriday.audit.map((entry) => entry.split(' ')[0]);
    expect(trail.filter((id) => fridayIds.includes(id as string))).toEqual([]);
    expect(trail).toContain(ord5);
    expect(withoutFriday.tickets.join()).not.toContain('printer-1');
    expect(errors).toEqual([]);
    await context.close();
    await freshContext.close();
    await errorContext.close();
  }, 60_000);
});
