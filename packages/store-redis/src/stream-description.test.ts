import { ReplayRail } from '@replayrail/core';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { afterAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';
import { newIoredis, newNodeRedis } from './test-support/clients.js';

describeWithRedis('RedisStreamStore.describe', (url) => {
  const prefix = uniquePrefix('describe');
  const admin = newIoredis(url);
  afterAll(async () => {
    await deleteKeysUnder(admin, prefix);
    admin.disconnect();
  });

  it.each(['ioredis', 'node-redis'] as const)('gives what XINFO gives, on %s', async (kind) => {
    const client = kind === 'ioredis' ? newIoredis(url) : await newNodeRedis(url);
    const store = new RedisStreamStore({ client, closeClient: true });
    const rail = new ReplayRail({ store, config: { streamPrefix: `${prefix}-${kind}` } });
    const stream = { prefix: `${prefix}-${kind}`, channel: 'orders' };
    try {
      expect(await store.describe(stream)).toMatchObject({ exists: false, length: 0, firstId: null, groups: [] });
      const first = await rail.publish({ channel: 'orders', type: 't', payload: {} });
      const last = await rail.publish({ channel: 'orders', type: 't', payload: {} });
      await admin.xgroup('CREATE', `${prefix}-${kind}:orders`, 'printer', '0');
      const description = await store.describe(stream);
      const raw = (await admin.call('XINFO', 'STREAM', `${prefix}-${kind}:orders`)) as unknown[];
      const xinfo: Record<string, unknown> = {};
      for (let i = 0; i + 1 < raw.length; i += 2) xinfo[String(raw[i])] = raw[i + 1];
      expect(description).toEqual({
        key: `${prefix}-${kind}:orders`,
        exists: true,
        length: 2,
        firstId: first.id,
        lastId: last.id,
        lastGeneratedId: last.id,
        entriesAdded: xinfo['entries-added'],
        maxDeletedEntryId: xinfo['max-deleted-entry-id'],
        recordedFirstEntryId: xinfo['recorded-first-entry-id'],
        groups: ['printer'],
      });
    } finally {
      await rail.close();
    }
  });
});
