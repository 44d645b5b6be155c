import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from './parse.js';
import { loadPolicies } from './policy.js';

const support = join(import.meta.dirname, 'test-support');
const reads = { writes: false };
const writes = { writes: true };

describe('the state policy the options give', () => {
  it('--config: the channels of the rail config a module exports, without their retention', async () => {
    const policies = await loadPolicies('restaurant:1:orders', { config: join(support, 'channels.mjs') }, reads);
    expect(policies?.source).toBe(`--config ${join(support, 'channels.mjs')}`);
    expect(policies?.keyed).toEqual(['restaurant:*:orders']);
    // Every policy kept, in order (the first match wins), each without maxStreamLength: the CLI never trims.
    expect(policies?.channels.map((policy) => Object.keys(policy))).toEqual([['match'], ['match', 'state']]);
    expect(typeof policies?.channels[1]?.state?.key).toBe('function');
    // A module's default export may be the channels; a path is read from the working directory.
    const list = await loadPolicies('x', { config: './test-support/channel-list.mjs' }, writes, import.meta.dirname);
    expect(list?.keyed).toEqual(['shop:*:carts', 'shop:*:orders']);
  });

  it('--key-field: a policy for the channel alone, its tombstones named in the source', async () => {
    const policies = await loadPolicies(
      'restaurant:1:orders',
      { keyField: 'order_id', tombstone: ['order.deleted', 'order.voided'] },
      writes,
    );
    expect(policies).toEqual({
      channels: [
        { match: 'restaurant:1:orders', state: { key: 'order_id', tombstones: ['order.deleted', 'order.voided'] } },
      ],
      source: '--key-field order_id --tombstone order.deleted order.voided',
      keyed: ['restaurant:1:orders'],
    });
    const none = await loadPolicies('c', { keyField: 'id', tombstones: false }, writes);
    expect(none?.channels[0]?.state).toEqual({ key: 'id', tombstones: [] });
    expect(none?.source).toBe('--key-field id --no-tombstones');
    // Reading needs no tombstones; nothing given is no policy.
    expect((await loadPolicies('c', { keyField: 'id' }, reads))?.source).toBe('--key-field id');
    expect(await loadPolicies('c', { tombstones: true }, writes)).toBeUndefined();
  });

  it('refuses what cannot be right, before anything is stored', async () => {
    const refused = [
      [{ keyField: 'id' }, writes, /name the event types that delete a key .*--no-tombstones/],
      [{ keyField: 'id', tombstone: ['t'], tombstones: false }, reads, /not both/],
      [{ config: join(support, 'channels.mjs'), keyField: 'id' }, reads, /--config or --key-field/],
      [{ tombstone: ['t'] }, reads, /--tombstone goes with --key-field/],
      [{ config: join(support, 'catalog.mjs') }, reads, /must export its channel policies as `channels`/],
      [{ config: join(support, 'missing.mjs') }, reads, /--config .*missing\.mjs cannot be loaded/],
    ] as const;
    for (const [options, use, message] of refused) {
      const loading = loadPolicies('c', options, use);
      await expect(loading, JSON.stringify(options)).rejects.toThrow(UsageError);
      await expect(loading, JSON.stringify(options)).rejects.toThrow(message);
    }
  });
});
