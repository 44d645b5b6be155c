import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { expect, it, vi } from 'vitest';
import { startDemo } from './app.js';
import type { EstimateView, RpcView } from './rpc-api.js';

// The calls across processes, on Redis: the demo starts the kitchen and the printer
// as processes of their own (the built dist/*-process.js, as `make demo` runs them),
// and its estimate route and operator's record get their answers from them.
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url);

describeWithRedis('the kitchen and the printer as processes of their own', (redisUrl) => {
  it('answer the server’s calls over Redis: an estimate, and the printer’s status', async () => {
    const streamPrefix = uniquePrefix('rrdemo-rpc');
    const demo = await startDemo({
      port: 0,
      host: '127.0.0.1',
      redisUrl,
      streamPrefix,
      printer: { script: dist('printer-process.js'), printMs: 10 },
      kitchen: { script: dist('kitchen-process.js') },
    });
    const base = `http://127.0.0.1:${demo.port}`;
    const rpc = async () => (await (await fetch(`${base}/operator/rpc`)).json()) as RpcView;
    try {
      // The kitchen says it is ready once it serves; the printer's answer comes from its process.
      await vi.waitFor(
        async () => {
          const view = await rpc();
          expect(view.kitchen).toMatchObject({ mode: 'process', state: 'running' });
          expect(view.printer_status).toMatchObject({ status: { name: 'printer-1', state: 'waiting' } });
        },
        { timeout: 30_000, interval: 200 },
      );
      const { kitchen, printer_status: printer } = await rpc();
      expect(kitchen?.pid).not.toBe(process.pid);
      expect(kitchen?.name).toBe(`kitchen-${kitchen?.pid}`);
      expect(printer && 'status' in printer && printer.status.pid).not.toBe(process.pid);

      const response = await fetch(`${base}/events/restaurant:123:orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'order.created',
          payload: { order_id: 'ord_redis', items: [{ name: 'Lasagne', qty: 1 }] },
        }),
      });
      expect(response.status).toBe(201);
      const estimate = await fetch(`${base}/orders/ord_redis/estimate`);
      expect(estimate.status).toBe(200);
      const view = (await estimate.json()) as EstimateView;
      // Answered by the kitchen process, not the demo's.
      expect(view.estimate).toMatchObject({ orderId: 'ord_redis', cookMinutes: 14, estimatedBy: kitchen?.name });
      const calls = (await rpc()).calls;
      expect(calls.find((call) => call.method === 'kitchen.estimate')).toMatchObject({ calls: 1, errors: 0 });
    } finally {
      await demo.close();
      const redis = new Redis(redisUrl);
      await deleteKeysUnder(redis, streamPrefix);
      await redis.quit();
    }
  }, 60_000);
});
