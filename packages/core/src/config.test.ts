import { describe, expect, it } from 'vitest';
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

  it('throws at ReplayRail construction', () => {
    expect(() => new ReplayRail({ store: {} as EventStore, config: { readBatchSize: -5 } })).toThrow(
      /invalid ReplayRailConfig option: readBatchSize/,
    );
  });
});
