import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import {
  deleteKeysUnder,
  describeWithChromium,
  describeWithRedis,
  freePort,
  launchChromium,
  uniquePrefix,
} from '@replayrail/testkit';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServerProcess } from './test-support/server-control.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('client in a real browser', (redisUrl) => {
  describeWithChromium('chromium', () => {
    let browser: Browser;
    let staticDir: string;
    beforeAll(async () => {
      // The page loads the client as a browser would: one bundle, built from the sources.
      staticDir = mkdtempSync(join(tmpdir(), 'rrclient-page-'));
      await build({
        entryPoints: [join(import.meta.dirname, 'index.ts')],
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'browser',
        conditions: ['@replayrail/source'],
        outfile: join(staticDir, 'client.js'),
      });
      await copyFile(join(import.meta.dirname, 'test-support', 'browser', 'index.html'), join(staticDir, 'index.html'));
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      rmSync(staticDir, { recursive: true, force: true });
    });

    it('keeps every event once, in order, across a server restart and a page reload', async () => {
      const prefix = uniquePrefix('rrbrowser');
      const port = await freePort();
      const server = new ServerProcess('adapter-hono', port, redisUrl, prefix, staticDir);
      await server.start();
      const redis = new Redis(redisUrl);
      const rail = new ReplayRail({ store: new RedisStreamStore({ client: redis }), config: { streamPrefix: prefix } });
      const published: StoredEvent[] = [];
      let publishing = true;
      const publisher = (async () => {
        for (let n = 0; publishing; n++) {
          published.push(await rail.publish({ channel: 'board', type: 'order.created', payload: { n } }));
          await sleep(5);
        }
      })();
      const page = await browser.newPage();
      const shown = () => page.$$eval('#events li', (items) => items.map((item) => item.textContent ?? ''));
      const waitFor = async (check: (ids: string[]) => boolean, what: string) => {
        const deadline = Date.now() + 20_000;
        while (!check(await shown())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await sleep(50);
        }
      };
      try {
        await page.goto(`http://127.0.0.1:${port}/`);
        await waitFor((ids) => ids.length >= 20, 'the first events');
        // The server dies mid-stream and comes back; events keep being published meanwhile.
        await server.kill();
        await sleep(300);
        await server.start();
        await waitFor((ids) => ids.length >= published.length - 5, 'the page to catch up after the restart');
        // A reload while events are published: the page resumes from its saved list and cursor.
        await page.reload();
        await sleep(300);
        publishing = false;
        await publisher;
        const last = published.at(-1)?.id;
        await waitFor((ids) => ids.at(-1) === last, 'the last event');
        expect(await shown()).toEqual(published.map((event) => event.id));
        expect(await page.textContent('#state')).toBe('open');
      } finally {
        publishing = false;
        await publisher;
        await page.close();
        await server.kill();
        await deleteKeysUnder(redis, prefix);
        await rail.close();
      }
    }, 60_000);
  });
});
