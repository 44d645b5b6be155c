import { ReplayRail } from '@replayrail/core';
import { StoreError, StoreUnavailableError } from '@replayrail/core/errors';
import { describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { RedisStreamStore, type RedisStreamStoreOptions } from './redis-store.js';

describeWithRedis('RedisStreamStore and its client', (url) => {
  it('leaves the client it was given open, unless told to close it', async () => {
    const client = new Redis(url);
    await new RedisStreamStore({ client }).close();
    expect(await client.ping()).toBe('PONG');
    await new RedisStreamStore({ client, closeClient: true }).close();
    await expect(client.ping()).rejects.toThrow();
    expect(client.status).toBe('end');
  });

  it('turns a Redis error reply into a StoreError with context, not an unavailable one', async () => {
    const client = new Redis(url);
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix } });
    await client.set(`${streamPrefix}:not-a-stream`, 'plain string');
    const error = await rail.publish({ channel: 'not-a-stream', type: 't', payload: {} }).catch((caught) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(error.context).toMatchObject({ operation: 'XADD', channel: 'not-a-stream' });
    expect(error.context.redis_error).toMatch(/WRONGTYPE/);
    await expect(rail.replay('not-a-stream')).rejects.toBeInstanceOf(StoreError);
    await client.del(`${streamPrefix}:not-a-stream`);
    await rail.close();
    await client.quit();
  });

  it('gives each command of a pipelined batch its own result', async () => {
    const client = new Redis(url);
    const streamPrefix = uniquePrefix();
    const rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix } });
    await client.set(`${streamPrefix}:broken`, 'plain string');
    // The first goes out at once; the two issued while it is in flight share a pipeline.
    const results = await Promise.allSettled([
      rail.publish({ channel: 'good', type: 't', payload: { n: 1 } }),
      rail.publish({ channel: 'broken', type: 't', payload: {} }),
      rail.publish({ channel: 'good', type: 't', payload: { n: 2 } }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
    expect((await rail.replay('good')).events.map((event) => event.payload.n)).toEqual([1, 2]);
    await client.del(`${streamPrefix}:broken`, `${streamPrefix}:good`);
    await rail.close();
    await client.quit();
  });

  it('rejects a client it cannot use, and bad options, naming the field', () => {
    expect(() => new RedisStreamStore({ client: {} })).toThrow(/client must be an ioredis/);
    const client = new Redis(url, { lazyConnect: true });
    expect(() => new RedisStreamStore({ client, commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
    expect(() => new RedisStreamStore({ client, idempotencyTtlSeconds: -1 })).toThrow(/idempotencyTtlSeconds/);
    expect(() => new RedisStreamStore({ client, maxBlockingConnections: 1.5 })).toThrow(/maxBlockingConnections/);
    expect(() => new RedisStreamStore({ client, wakeups: 'xread' as 'auto' })).toThrow(
      /wakeups no longer takes 'xread'/,
    );
    const replaced = { client, shareBlockingReads: false } as RedisStreamStoreOptions;
    expect(() => new RedisStreamStore(replaced)).toThrow(/shareBlockingReads is replaced by wakeups/);
    client.disconnect();
  });
});
