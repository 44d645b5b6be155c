import { ConfigError } from '@replayrail/core/errors';
import { describe, expect, it } from 'vitest';
import { wakeupsOption, wayToWait } from './wakeups-option.js';

function configError(make: () => unknown): ConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the wakeups option', () => {
  it("defaults to 'auto' and takes each way to wait by name", () => {
    expect(wakeupsOption({}, false)).toBe('auto');
    expect(wakeupsOption({}, true)).toBe('auto');
    for (const choice of ['auto', 'shared-xread', 'pubsub', 'own-xread'] as const) {
      expect(wakeupsOption({ wakeups: choice }, false)).toBe(choice);
    }
    expect(wakeupsOption({ wakeups: 'pubsub' }, true)).toBe('pubsub');
    expect(wakeupsOption({ wakeups: 'own-xread' }, true)).toBe('own-xread');
  });

  it('refuses the spellings it replaced, naming the new one', () => {
    for (const shareBlockingReads of [true, false, 'yes']) {
      const error = configError(() => wakeupsOption({ shareBlockingReads }, false));
      expect(error.message).toBe(
        `invalid RedisStreamStore option: shareBlockingReads is replaced by wakeups: 'shared-xread' (true) or 'own-xread' (false), got ${typeof shareBlockingReads === 'string' ? '"yes"' : shareBlockingReads}`,
      );
      expect(error.context).toMatchObject({ field: 'shareBlockingReads' });
    }
    const xread = configError(() => wakeupsOption({ wakeups: 'xread' }, true));
    expect(xread.message).toMatch(
      /^invalid RedisStreamStore option: wakeups no longer takes 'xread': use 'shared-xread'/,
    );
    expect(xread.message).toMatch(/'own-xread'.*, got "xread"$/);
    expect(xread.context).toMatchObject({ field: 'wakeups' });
  });

  it('refuses anything else, and a shared XREAD on a cluster', () => {
    expect(configError(() => wakeupsOption({ wakeups: 'sometimes' }, false)).message).toBe(
      `invalid RedisStreamStore option: wakeups must be 'auto' or 'shared-xread' or 'pubsub' or 'own-xread', got "sometimes"`,
    );
    const cluster = configError(() => wakeupsOption({ wakeups: 'shared-xread' }, true));
    expect(cluster.message).toMatch(/^invalid RedisStreamStore option: wakeups cannot share one XREAD on a cluster/);
    expect(cluster.context).toMatchObject({ field: 'wakeups' });
  });
});

describe('the way to wait', () => {
  it("'auto': a shared XREAD on one server; on a cluster, pub/sub from Redis 7.0, else an XREAD per wait", () => {
    expect(wayToWait('auto', false)).toBe('shared-xread');
    expect(wayToWait('auto', true)).toBeUndefined(); // the server is asked first
    expect(wayToWait('auto', true, true)).toBe('pubsub');
    expect(wayToWait('auto', true, false)).toBe('own-xread');
  });

  it('a way named is the way taken, and pub/sub before Redis 7.0 fails', () => {
    expect(wayToWait('shared-xread', false)).toBe('shared-xread');
    expect(wayToWait('own-xread', false)).toBe('own-xread');
    expect(wayToWait('own-xread', true)).toBe('own-xread');
    expect(wayToWait('pubsub', false)).toBeUndefined(); // the server is asked first
    expect(wayToWait('pubsub', false, true)).toBe('pubsub');
    expect(wayToWait('pubsub', true, true)).toBe('pubsub');
    const old = configError(() => wayToWait('pubsub', true, false));
    expect(old.message).toBe(
      `invalid RedisStreamStore option: wakeups needs Redis 7.0 or later for 'pubsub' (sharded pub/sub), got "pubsub"`,
    );
  });
});
