import { ReplayRail, type ReplayRailError } from '@replayrail/core';
import {
  describeWithRedisServer,
  type RedisServer,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
  uniquePrefix,
} from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';

const BLOCK_MS = 500;
const TIMEOUT_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A consumer whose connection goes silent (a proxy that stops forwarding, as a
// partitioned network does) must not wedge: its reads are abandoned after their
// block time plus the command timeout, and it is back once the network is.
describeWithRedisServer('a durable consumer on a connection that goes silent', () => {
  let server: RedisServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    server = await startRedisServer();
    proxy = await startTcpProxy(server.port);
  }, 30_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('reports the silence, and handles what was published meanwhile within block time plus timeout of the network coming back', async () => {
    const prefix = uniquePrefix();
    const direct = new Redis(server.url);
    const proxied = new Redis(`redis://127.0.0.1:${proxy.port}`, { maxRetriesPerRequest: null });
    proxied.on('error', () => {});
    const publisher = new ReplayRail({
      store: new RedisStreamStore({ client: direct }),
      config: { streamPrefix: prefix, maxStreamLength: null },
    });
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client: proxied, commandTimeoutMs: TIMEOUT_MS }),
      config: { streamPrefix: prefix, maxStreamLength: null },
    });
    const handled: number[] = [];
    const errors: ReplayRailError[] = [];
    const consumer = rail.consume({
      channel: 'silent',
      group: 'g',
      blockMs: BLOCK_MS,
      claimIdleMs: 30_000,
      handler: (event) => void handled.push(event.payload.n as number),
      onError: (error) => errors.push(error),
    });
    await consumer.start();
    try {
      for (let n = 0; n < 5; n++) await publisher.publish({ channel: 'silent', type: 'job', payload: { n } });
      while (handled.length < 5) await sleep(10);

      proxy.freeze();
      for (let n = 5; n < 10; n++) await publisher.publish({ channel: 'silent', type: 'job', payload: { n } });
      await sleep(3 * (BLOCK_MS + TIMEOUT_MS));
      expect(handled).toHaveLength(5);
      // Its reads were given up, not waited on forever.
      expect(errors.some((error) => error.code === 'store_unavailable')).toBe(true);

      const thawed = Date.now();
      proxy.thaw();
      while (handled.length < 10 && Date.now() - thawed < 10_000) await sleep(10);
      const resumedMs = Date.now() - thawed;
      console.log(
        `back ${resumedMs} ms after the network (block ${BLOCK_MS} ms + timeout ${TIMEOUT_MS} ms); ${errors.length} failures reported while silent`,
      );
      expect(handled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // The bound the design promises, with a second of slack for a busy machine.
      expect(resumedMs).toBeLessThanOrEqual(BLOCK_MS + TIMEOUT_MS + 1_000);
    } finally {
      await consumer.stop();
      await rail.close();
      await publisher.close();
      proxied.disconnect();
      direct.disconnect();
    }
  }, 30_000);
});
