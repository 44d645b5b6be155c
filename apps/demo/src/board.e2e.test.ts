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
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The board in Chromium against the demo on Redis: a card appears for an order
// posted over HTTP; the server is killed and started again while orders keep
// coming; the badge goes through reconnecting back to live, and the board ends
// with every event once. A screenshot is kept in .reports/.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const server = fileURLToPath(new URL('../dist/server.js', import.meta.url));
const STEPS = ['order.created', 'order.confirmed', 'order.preparing', 'order.ready', 'order.delivered'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Posted {
  id: string;
  channel: string;
  type: string;
  orderId: string;
}

describeWithRedis('the demo board', (redisUrl) => {
  describeWithChromium('in Chromium, with Redis', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('shows every event once across a server restart, with the badge going reconnecting → live', async () => {
      const port = await freePort();
      const prefix = uniquePrefix('rrdemo');
      const base = `http://127.0.0.1:${port}`;
      let child: ChildProcess | undefined;
      const start = async () => {
        const process_ = spawn(process.execPath, [server], {
          // No ticket printer: this test is about the board, and a printer process outlives a SIGKILLed server for a moment.
          env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, STREAM_PREFIX: prefix, PRINTER: 'off' },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        child = process_;
        await new Promise<void>((resolve, reject) => {
          process_.on('exit', (code) => reject(new Error(`demo exited with ${code}`)));
          process_.stdout?.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ReplayRail demo')) resolve();
          });
        });
      };
      const kill = async () => {
        const current = child;
        if (current === undefined || current.exitCode !== null) return;
        const exited = new Promise((resolve) => current.once('exit', resolve));
        current.kill('SIGKILL');
        await exited;
      };
      // Posts as the simulator does, retrying (same event_id) while the server is down.
      const posted: Posted[] = [];
      const post = async (channel: string, type: string, orderId: string) => {
        for (;;) {
          try {
            const response = await fetch(`${base}/events/${channel}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                type,
                payload: { order_id: orderId },
                actor: { type: 'waiter', id: 'usr_e2e' },
                metadata: { correlation_id: `req_${orderId}` },
                event_id: `${orderId}.${type}`,
              }),
            });
            // 200: a retry of one stored before its answer was lost (the server died); the same event.
            if (response.status === 201 || response.status === 200) {
              const event = (await response.json()) as { id: string };
              posted.push({ id: event.id, channel, type, orderId });
              return;
            }
          } catch {
            // the server is down: try again
          }
          await sleep(50);
        }
      };
      const orders = 'restaurant:e2e:orders';
      const kitchen = 'restaurant:e2e:kitchen';
      const channelOf = (type: string) => (type === 'order.preparing' || type === 'order.ready' ? kitchen : orders);

      await start();
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      try {
        await page.goto(`${base}/?restaurant=e2e`);
        const badge = () => page.getAttribute('#badge', 'data-state');
        await page.waitForFunction(() => document.querySelector('#badge')?.getAttribute('data-state') === 'live');
        // Every state the badge shows from now on.
        await page.evaluate(() => {
          const element = document.querySelector('#badge') as HTMLElement;
          const seen: string[] = [];
          (window as unknown as { badgeStates: string[] }).badgeStates = seen;
          new MutationObserver(() => seen.push(element.dataset.state ?? '')).observe(element, { attributes: true });
        });

        await post(orders, 'order.created', 'ord_first');
        await page.waitForSelector('[data-order="ord_first"][data-step="order.created"]');

        let publishing = true;
        const traffic = (async () => {
          for (let n = 0; publishing; n++) {
            const orderId = `ord_${n}`;
            for (const type of STEPS) {
              await post(channelOf(type), type, orderId);
              await sleep(15);
            }
          }
        })();
        // Counted in events, not time: a loaded machine posts fewer in a given time.
        const postedAtLeast = async (count: number) => {
          while (posted.length < count) await sleep(20);
        };
        await postedAtLeast(12);
        await kill();
        await page.waitForFunction(
          () => document.querySelector('#badge')?.getAttribute('data-state') === 'reconnecting',
        );
        await sleep(300);
        await start();
        await page.waitForFunction(() => document.querySelector('#badge')?.getAttribute('data-state') === 'live');
        await postedAtLeast(posted.length + 12);
        publishing = false;
        await traffic;

        // Every event posted reached the board once, in order per channel.
        const last = posted.at(-1)?.id;
        await page.waitForFunction((id) => document.querySelector(`#audit li[data-id="${id}"]`) !== null, last);
        const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('replayrail-demo:e2e') ?? '{}'));
        const audit = (saved.audit as { id: string; channel: string }[]).slice().reverse();
        expect(posted.length).toBeGreaterThan(20);
        expect(posted.length).toBeLessThan(200); // the saved audit trail keeps 200
        for (const channel of [orders, kitchen]) {
          expect(audit.filter((entry) => entry.channel === channel).map((entry) => entry.id)).toEqual(
            posted.filter((event) => event.channel === channel).map((event) => event.id),
          );
        }
        // Each order's card stands at the furthest step it reached, and only there.
        const furthest = new Map<string, string>();
        for (const event of posted) furthest.set(event.orderId, event.type);
        const cards = await page.$$eval('.card', (elements) =>
          elements.map((element) => [(element as HTMLElement).dataset.order, (element as HTMLElement).dataset.step]),
        );
        expect(new Map(cards as [string, string][])).toEqual(furthest);
        expect(cards).toHaveLength(furthest.size);
        const states = await page.evaluate(() => (window as unknown as { badgeStates: string[] }).badgeStates);
        expect(states).toContain('reconnecting');
        expect(states.indexOf('live', states.indexOf('reconnecting'))).toBeGreaterThan(-1);
        expect(await badge()).toBe('live');
        mkdirSync(`${root}/.reports`, { recursive: true });
        await page.screenshot({ path: `${root}/.reports/demo-board.png`, fullPage: true });
      } finally {
        await page.close();
        await kill();
        const redis = new Redis(redisUrl);
        await deleteKeysUnder(redis, prefix);
        await redis.quit();
      }
    }, 60_000);
  });
});
