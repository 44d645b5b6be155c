import { describeWithChromium, launchChromium } from '@replayrail/testkit';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Demo, startDemo } from './app.js';

// The "Simulate traffic" button in Chromium, on the memory store: every simulated
// order goes through all five steps (each POST checked by the catalog), the audit
// trail shows the actors and metadata, and a reload restores the same board.
describeWithChromium('the demo board: Simulate traffic, in Chromium', () => {
  let browser: Browser;
  let demo: Demo;
  beforeAll(async () => {
    // The page as the build made it (tests run this module from its source).
    demo = await startDemo({ port: 0, host: '127.0.0.1', publicDir: new URL('../dist/public/', import.meta.url) });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('moves every simulated order to delivered, with its audit trail, and a reload restores it', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${demo.port}/?restaurant=sim`);
    await page.waitForFunction(() => document.querySelector('#badge')?.getAttribute('data-state') === 'live');
    await page.click('#simulate');
    const delivered = () => document.querySelectorAll('.column[data-step="order.delivered"] .card').length >= 5;
    await page.waitForFunction(delivered, undefined, { timeout: 20_000 });
    const cards = () =>
      page.$$eval('.card', (all) =>
        all.map((card) => `${(card as HTMLElement).dataset.order} ${(card as HTMLElement).dataset.step}`),
      );
    const before = await cards();
    expect(before).toHaveLength(5);
    // A reload resumes from the saved board and cursors: the same board, nothing replayed twice.
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#badge')?.getAttribute('data-state') === 'live');
    await page.waitForFunction(delivered);
    expect(await cards()).toEqual(before);
    const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('replayrail-demo:sim') ?? '{}'));
    const ids = (saved.audit as { id: string }[]).map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    const audit = await page.textContent('#audit');
    expect(audit).toContain('by chef usr_chef');
    expect(audit).toContain('"source":"simulator"');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('tells the board its history is gone when the memory store restarts empty, and goes on', async () => {
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
    await post('ord_after');
    await page.waitForSelector('[data-order="ord_after"]');
    await page.close();
  }, 60_000);
});
