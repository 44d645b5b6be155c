import { describe, expect, it } from 'vitest';
import { ChannelPolicies } from './channel-policy.js';
import { resolveConfig } from './config.js';
import { ConfigError } from './errors.js';
import { ReplayRail } from './rail.js';
import type { EventStore } from './store/event-store.js';

describe('ReplayRailConfig', () => {
  it('fills in the documented defaults', () => {
    expect(resolveConfig()).toEqual({
      streamPrefix: 'rr',
      defaultReplayLimit: 100,
      maxStreamLength: 10_000,
      maxStreamAge: null,
      approximateTrimming: true,
      defaultStartPosition: 'latest',
      readBlockMs: 5_000,
      readBatchSize: 100,
      duplicatePolicy: 'return_existing',
      limits: {
        maxChannelLength: 256,
        maxEventTypeLength: 128,
        maxEventIdLength: 128,
        maxEventBytes: 65_536,
        maxJsonDepth: 32,
        maxFrameBytes: 16_384,
        maxSubscriptionsPerSocket: 100,
        maxReplayLimit: 1000,
        maxCatchUpPageBytes: 524288,
      },
      channels: expect.any(ChannelPolicies),
      lineage: { index: false, ttlMs: 604_800_000, maxEntries: 10_000 },
    });
    expect(resolveConfig({ lineage: { index: true, ttlMs: null, maxEntries: 5 } }).lineage).toEqual({
      index: true,
      ttlMs: null,
      maxEntries: 5,
    });
    expect(resolveConfig({ maxStreamLength: null, limits: { maxJsonDepth: 8 } })).toMatchObject({
      maxStreamLength: null,
      limits: { maxJsonDepth: 8, maxEventBytes: 65_536 },
    });
    expect(Object.isFrozen(resolveConfig())).toBe(true);
  });

  it('names the field of every invalid value', () => {
    const cases: [object, string][] = [
      [{ streamPrefix: '' }, 'streamPrefix'],
      [{ streamPrefix: 'has space' }, 'streamPrefix'],
      [{ streamPrefix: 'a{b}' }, 'streamPrefix'],
      [{ defaultReplayLimit: 0 }, 'defaultReplayLimit'],
      [{ defaultReplayLimit: 5000 }, 'defaultReplayLimit'],
      [{ maxStreamLength: -1 }, 'maxStreamLength'],
      [{ maxStreamLength: 1.5 }, 'maxStreamLength'],
      [{ approximateTrimming: 'yes' }, 'approximateTrimming'],
      [{ defaultStartPosition: 'middle' }, 'defaultStartPosition'],
      [{ readBlockMs: -1 }, 'readBlockMs'],
      [{ readBatchSize: 0 }, 'readBatchSize'],
      [{ duplicatePolicy: 'ignore' }, 'duplicatePolicy'],
      [{ limits: { maxEventBytes: 0 } }, 'limits.maxEventBytes'],
      [{ limits: { maxFrameByte: 10 } }, 'limits.maxFrameByte'],
      [{ maxStreamLen: 10 }, 'maxStreamLen'],
      [{ maxStreamAge: 0 }, 'maxStreamAge'],
      [{ channels: {} }, 'channels'],
      [{ channels: [{ match: 'a b' }] }, 'channels[0].match'],
      [{ channels: [{ match: 'a:*', maxStreamAge: -5 }] }, 'channels[0].maxStreamAge'],
      [{ channels: [{ match: 'a:*', maxStreamLength: 0 }] }, 'channels[0].maxStreamLength'],
      [{ channels: [{ match: 'a:*', state: {} }] }, 'channels[0].state.key'],
      [{ channels: [{ match: 'a:*', state: { key: 'id', tombstones: 'gone' } }] }, 'channels[0].state.tombstones'],
      [{ channels: [{ match: 'a:*', state: { key: 'id', tombstone: ['gone'] } }] }, 'channels[0].state.tombstone'],
      [{ channels: [{ match: 'a:*' }, { match: 'b:*', retention: 5 }] }, 'channels[1].retention'],
      [{ lineage: 'on' }, 'lineage'],
      [{ lineage: { index: 'yes' } }, 'lineage.index'],
      [{ lineage: { ttlMs: 0 } }, 'lineage.ttlMs'],
      [{ lineage: { maxEntries: 0 } }, 'lineage.maxEntries'],
      [{ lineage: { maxEntry: 5 } }, 'lineage.maxEntry'],
    ];
    for (const [config, field] of cases) {
      const error = (() => {
        try {
          resolveConfig(config as never);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, field).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain(`option: ${field} `);
      expect((error as ConfigError).context.field).toBe(field);
    }
  });

  it('gives each channel the first policy that matches it, `*` standing for one segment', () => {
    const { channels } = resolveConfig({
      maxStreamLength: 100,
      maxStreamAge: 60_000,
      channels: [
        { match: 'restaurant:*:orders', maxStreamLength: 5, state: { key: 'order_id', tombstones: ['order.deleted'] } },
        { match: 'restaurant:*', maxStreamAge: null },
      ],
    });
    const orders = channels.of('restaurant:12:orders');
    expect(orders).toMatchObject({ maxStreamLength: 5, maxStreamAge: 60_000 });
    expect(orders.state?.keyOf({ payload: { order_id: 'o1' } } as never)).toBe('o1');
    expect(orders.state?.keyOf({ payload: {} } as never)).toBeNull();
    expect(orders.state?.tombstones.has('order.deleted')).toBe(true);
    expect(channels.of('restaurant:12')).toEqual({ maxStreamLength: 100, maxStreamAge: null, state: null });
    // `*` is one segment: not across `:` or `/`.
    expect(channels.of('restaurant:12:orders:x')).toEqual({ maxStreamLength: 100, maxStreamAge: 60_000, state: null });
    expect(channels.of('restaurant:1/2:orders').state).toBeNull();
    expect(channels.keepsState).toBe(true);
  });

  it('refuses a keyed channel on a store that keeps no state', () => {
    const config = { channels: [{ match: 'a', state: { key: 'id' } }] };
    expect(() => new ReplayRail({ store: {} as EventStore, config })).toThrow(ConfigError);
  });

  it('throws at ReplayRail construction', () => {
    expect(() => new ReplayRail({ store: {} as EventStore, config: { readBatchSize: -5 } })).toThrow(
      /invalid ReplayRailConfig option: readBatchSize/,
    );
  });
});
