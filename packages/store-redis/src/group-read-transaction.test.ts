import { ReplayRail } from '@replayrail/core';
import type { GroupRef } from '@replayrail/core/store';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';
import { newNodeRedis } from './test-support/clients.js';

/** `client`, with the commands of each transaction it runs recorded, and `exec` failing while `discard` is set. */
function transactionsOf(client: Redis, state: { transactions: string[][]; discard: boolean }): Redis {
  return new Proxy(client, {
    get(target, property) {
      if (property !== 'multi') {
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return () => {
        const multi = target.multi();
        const commands: string[] = [];
        const call = multi.call.bind(multi);
        multi.call = ((...args: string[]) => {
          commands.push((args[0] as string).toUpperCase());
          return call(args[0] as string, ...args.slice(1));
        }) as typeof multi.call;
        const exec = multi.exec.bind(multi);
        multi.exec = (async () => {
          state.transactions.push(commands);
          // As Redis answers a transaction queued against a slot that moved: nothing ran.
          if (state.discard) throw new Error('EXECABORT Transaction discarded because of previous errors.');
          return exec();
        }) as typeof multi.exec;
        return multi;
      };
    },
  });
}

describeWithRedis('a group read in one transaction', (url) => {
  let client: Redis;
  let prefix: string;
  const state = { transactions: [] as string[][], discard: false };
  let store: RedisStreamStore;
  let rail: ReplayRail;
  beforeAll(() => {
    client = new Redis(url);
  });
  beforeEach(() => {
    prefix = uniquePrefix('rr-group-tx');
    state.transactions = [];
    state.discard = false;
    store = new RedisStreamStore({ client: transactionsOf(client, state) });
    rail = new ReplayRail({ store, config: { streamPrefix: prefix } });
  });
  afterEach(async () => {
    await rail.close();
    await deleteKeysUnder(client, prefix);
  });
  afterAll(async () => {
    await client.quit();
  });

  const ref = (): GroupRef => ({ prefix, channel: 'c', group: 'g' });
  const publish = async (count: number) => {
    for (let n = 0; n < count; n++) await rail.publish({ channel: 'c', type: 't', payload: { n } });
  };

  it('checks for trimmed entries and reads in one MULTI, with no script reading the entries', async () => {
    await store.groups?.createGroup(ref(), '0');
    await publish(3);
    const read = await store.groups?.readGroup(ref(), { consumer: 'a', limit: 2, blockMs: 0 });
    expect(read?.entries.map((entry) => entry.event?.payload)).toEqual([{ n: 0 }, { n: 1 }]);
    expect(state.transactions).toEqual([['EVAL', 'XREADGROUP', 'XREADGROUP']]);
  });

  it('reports entries trimmed before the group read them, in the same step as the read', async () => {
    await store.groups?.createGroup(ref(), '0');
    await publish(5);
    await client.xtrim(`${prefix}:c`, 'MAXLEN', 2);
    const read = await store.groups?.readGroup(ref(), { consumer: 'a', limit: 10, blockMs: 0 });
    expect(read?.lost).toMatchObject({ count: 3 });
    expect(read?.entries.map((entry) => entry.event?.payload)).toEqual([{ n: 3 }, { n: 4 }]);
  });

  it('reads with the script when the transaction did not run', async () => {
    await store.groups?.createGroup(ref(), '0');
    await publish(2);
    state.discard = true;
    const read = await store.groups?.readGroup(ref(), { consumer: 'a', limit: 10, blockMs: 0 });
    expect(read?.entries.map((entry) => entry.event?.payload)).toEqual([{ n: 0 }, { n: 1 }]);
    expect(state.transactions).toHaveLength(1);
  });

  it('gives redriven entries first, then the channel’s, up to the limit each', async () => {
    const groups = store.groups as NonNullable<RedisStreamStore['groups']>;
    await groups.createGroup(ref(), '0');
    await publish(4);
    const [first, second] = (await groups.readGroup(ref(), { consumer: 'a', limit: 2, blockMs: 0 })).entries;
    const failure = {
      errorName: 'Error',
      errorMessage: 'no',
      firstFailedAt: 1,
      lastFailedAt: 1,
      attempts: 1,
      consumer: 'a',
    };
    for (const entry of [first, second]) if (entry !== undefined) await groups.deadLetter(ref(), entry, failure);
    expect(await groups.redrive(ref(), 'all')).toBe(2);
    const read = await groups.readGroup(ref(), { consumer: 'b', limit: 1, blockMs: 0 });
    expect(read.entries.map((entry) => [entry.source, entry.event?.payload])).toEqual([
      ['redrive', { n: 0 }],
      ['stream', { n: 2 }],
    ]);
  });
});

describeWithRedis('a group read in one transaction, on node-redis', (url) => {
  it('reads through the client’s MULTI, with the lost-entry check', async () => {
    const client = await newNodeRedis(url);
    const prefix = uniquePrefix('rr-group-tx-nr');
    let multis = 0;
    const counted = new Proxy(client, {
      get(target, property) {
        if (property === 'multi') {
          return () => {
            multis++;
            return target.multi();
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = new RedisStreamStore({ client: counted });
    const rail = new ReplayRail({ store, config: { streamPrefix: prefix } });
    const ref = { prefix, channel: 'c', group: 'g' };
    try {
      await store.groups?.createGroup(ref, '0');
      for (let n = 0; n < 4; n++) await rail.publish({ channel: 'c', type: 't', payload: { n } });
      await client.sendCommand(['XTRIM', `${prefix}:c`, 'MAXLEN', '1']);
      const read = await store.groups?.readGroup(ref, { consumer: 'a', limit: 10, blockMs: 0 });
      expect(read?.lost).toMatchObject({ count: 3 });
      expect(read?.entries.map((entry) => entry.event?.payload)).toEqual([{ n: 3 }]);
      expect(multis).toBe(1);
    } finally {
      await rail.close();
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(keys);
      await client.close();
    }
  });
});
