import { describeWithRedis } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { DEMO_CONNECTION_NAME, startDemo } from './app.js';

describeWithRedis('the demo on Redis', (url) => {
  it('closes the Redis connection it opened when it stops', async () => {
    const observer = new Redis(url);
    const demoConnections = async () =>
      ((await observer.client('LIST')) as string)
        .split('\n')
        .filter((line) => line.includes(`name=${DEMO_CONNECTION_NAME} `)).length;
    try {
      const before = await demoConnections();
      const demo = await startDemo({
        port: 0,
        host: '127.0.0.1',
        redisUrl: url,
        streamPrefix: `demo-close-${Date.now()}`,
        // Their own processes with their own connections; this test counts the demo's.
        printer: false,
        kitchen: false,
      });
      const response = await fetch(`http://127.0.0.1:${demo.port}/events/restaurant:1:orders`);
      expect(response.status).toBe(200);
      // Its client, and the duplicates the store makes of it, under its name, for
      // blocking reads (the RPC client's replies): every one of them closed below.
      expect(await demoConnections()).toBeGreaterThan(before);
      await demo.close();
      for (let i = 0; i < 100 && (await demoConnections()) > before; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await demoConnections()).toBe(before);
    } finally {
      await observer.quit();
    }
  });
});
