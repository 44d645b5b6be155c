import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { ReplayWindowExpiredError, StreamResetError } from '@replayrail/core/errors';
import { nextCursor } from '@replayrail/core/store';
import {
  deleteKeysUnder,
  describeWithRedis,
  describeWithRedisServer,
  freePort,
  type RedisServer,
  startRedisServer,
  uniquePrefix,
} from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';

async function publishMany(rail: ReplayRail, channel: string, count: number): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (let n = 0; n < count; n++) events.push(await rail.publish({ channel, type: 't', payload: { n } }));
  return events;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeWithRedis('RedisStreamStore expiry on the real server', (url) => {
  let client: Redis;
  let prefix: string;
  beforeAll(() => {
    client = new Redis(url);
  });
  afterEach(async () => {
    await deleteKeysUnder(client, prefix);
  });
  afterAll(async () => {
    await client.quit();
  });

  function rail(config: ConstructorParameters<typeof ReplayRail>[0]['config'] = {}): ReplayRail {
    prefix = uniquePrefix();
    return new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: prefix, ...config } });
  }

  it('MAXLEN ~ trims whole nodes: expired before the first retained entry, served from it', async () => {
    const r = rail({ maxStreamLength: 100, approximateTrimming: true });
    const events = await publishMany(r, 'approx', 450);
    const info = (await client.call('XINFO', 'STREAM', `${prefix}:approx`)) as unknown[];
    const length = Number(info[info.indexOf('length') + 1]);
    // Redis keeps at least 100 and trims in whole radix-tree nodes.
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(450);
    const firstKept = events[events.length - length] as StoredEvent;
    const lastTrimmed = events[events.length - length - 1] as StoredEvent;
    expect((await r.replay('approx', { after: firstKept.id, limit: 1000 })).events).toHaveLength(length - 1);
    // The last trimmed entry as cursor: the one false positive expiry allows (docs/architecture.md, "Expiry and reset").
    await expect(r.replay('approx', { after: lastTrimmed.id })).rejects.toBeInstanceOf(ReplayWindowExpiredError);
    await expect(r.replay('approx', { after: (events[0] as StoredEvent).id })).rejects.toBeInstanceOf(
      ReplayWindowExpiredError,
    );
  });

  it('reports a reset when the stream top was set back with XSETID', async () => {
    const r = rail({ maxStreamLength: null });
    const events = await publishMany(r, 'setid', 3);
    const [, second, third] = events as [StoredEvent, StoredEvent, StoredEvent];
    await client.xdel(`${prefix}:setid`, third.id);
    await client.call('XSETID', `${prefix}:setid`, second.id);
    await expect(r.replay('setid', { after: third.id })).rejects.toBeInstanceOf(StreamResetError);
    // The entry after `second` was deleted: that cursor missed it, so it expired.
    await expect(r.replay('setid', { after: second.id })).rejects.toBeInstanceOf(ReplayWindowExpiredError);
    await expect(r.replay('setid', { after: second.id })).rejects.not.toBeInstanceOf(StreamResetError);
  });

  it('reports a reset for a cursor that was never generated inside the stream', async () => {
    const r = rail();
    const [first] = await publishMany(r, 'gap', 1);
    await client.xadd(
      `${prefix}:gap`,
      `${BigInt((first as StoredEvent).id.split('-')[0] as string) + 10n}-0`,
      'x',
      '1',
    );
    await expect(r.replay('gap', { after: nextCursor((first as StoredEvent).id) })).rejects.toBeInstanceOf(
      StreamResetError,
    );
  });
});

// A primary and a replica on their own loopback ports: the replica misses the
// primary's last writes, is promoted, takes new writes. A client holding a cursor
// from the lost tail must be told, never "caught up" with the new events.
describeWithRedisServer('RedisStreamStore after a failover to a replica that missed writes', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  beforeAll(async () => {
    primary = await startRedisServer();
    replica = await startRedisServer(['--replicaof', '127.0.0.1', String(primary.port)]);
  });
  afterAll(async () => {
    await replica?.stop();
    await primary?.stop();
  });

  it('gives stream_reset to a cursor from the lost tail, and nothing to it silently', async () => {
    const onPrimary = new Redis(primary.url);
    const onReplica = new Redis(replica.url);
    const streamPrefix = uniquePrefix();
    const railPrimary = new ReplayRail({
      store: new RedisStreamStore({ client: onPrimary }),
      config: { streamPrefix },
    });
    const railReplica = new ReplayRail({
      store: new RedisStreamStore({ client: onReplica }),
      config: { streamPrefix },
    });
    await waitFor(async () => /master_link_status:up/.test(await onReplica.info('replication')), 'replication');

    const kept = await publishMany(railPrimary, 'orders', 3);
    expect(await onPrimary.call('WAIT', '1', '2000')).toBe(1);
    // Break the link: the replica now follows a port where nothing listens.
    await onReplica.call('REPLICAOF', '127.0.0.1', String(await freePort()));
    const lost = await publishMany(railPrimary, 'orders', 2);
    const clientCursor = (lost[1] as StoredEvent).id;

    await onReplica.call('REPLICAOF', 'NO', 'ONE');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fresh = await railReplica.publish({ channel: 'orders', type: 't', payload: { after: 'failover' } });
    expect(fresh.id > clientCursor || fresh.id.length > clientCursor.length).toBe(true);

    const error = await railReplica.replay('orders', { after: clientCursor }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StreamResetError);
    expect((error as StreamResetError).context).toMatchObject({ reason: 'stream_reset', cursor: clientCursor });
    await expect(railReplica.read('orders', { after: clientCursor, blockMs: 0 })).rejects.toBeInstanceOf(
      StreamResetError,
    );
    // A cursor the replica does hold still replays normally.
    const fromKept = await railReplica.replay('orders', { after: (kept[2] as StoredEvent).id });
    expect(fromKept.events.map((event) => event.id)).toEqual([fresh.id]);

    await railPrimary.close();
    await railReplica.close();
    await onPrimary.quit();
    await onReplica.quit();
    // Replication has to start and sync first: give the real servers time.
  }, 30_000);
});
