import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { type ConsumeOptions, resolveConsumeOptions } from './options.js';

const handler = () => {};
const base: ConsumeOptions = { channel: 'orders', group: 'printer', handler };

describe('resolveConsumeOptions', () => {
  it('fills in every default', () => {
    const resolved = resolveConsumeOptions(base, 5_000);
    expect(resolved).toMatchObject({
      channels: ['orders'],
      group: 'printer',
      concurrency: 1,
      prefetch: 100,
      claimIdleMs: 30_000,
      ackWindowMs: 50,
      ackBatchSize: 100,
      maxDeliveries: 5,
      backoff: { initialMs: 1_000, maxMs: 60_000, multiplier: 2, jitter: 0.2 },
      groupStart: '$',
      blockMs: 5_000,
      removeIdleConsumersAfterMs: 600_000,
    });
    expect(resolved.consumer).toMatch(/^[A-Za-z0-9._:-]+$/);
    expect(resolveConsumeOptions(base, 5_000).consumer).not.toBe(resolved.consumer);
  });

  it.each([
    [{ channel: undefined }, 'channel'],
    [{ channels: ['a', 'b'] }, 'channel'], // both given
    [{ channel: undefined, channels: [] }, 'channel'],
    [{ channel: undefined, channels: ['a', 'a'] }, 'channels'],
    [{ group: '' }, 'group'],
    [{ group: 'has space' }, 'group'],
    [{ group: 'x'.repeat(129) }, 'group'],
    [{ consumer: 'a/b' }, 'consumer'],
    [{ handler: 'nope' }, 'handler'],
    [{ concurrency: 0 }, 'concurrency'],
    [{ concurrency: 1.5 }, 'concurrency'],
    [{ prefetch: -1 }, 'prefetch'],
    [{ prefetch: 10_001 }, 'prefetch'],
    [{ claimIdleMs: 5 }, 'claimIdleMs'],
    [{ maxDeliveries: 0 }, 'maxDeliveries'],
    [{ ackWindowMs: -1 }, 'ackWindowMs'],
    [{ ackWindowMs: 2.5 }, 'ackWindowMs'],
    [{ ackWindowMs: '10' }, 'ackWindowMs'],
    [{ ackWindowMs: 10_001 }, 'ackWindowMs'], // past claimIdleMs / 3 of the default 30000
    [{ claimIdleMs: 300, ackWindowMs: 101 }, 'ackWindowMs'],
    [{ ackBatchSize: 0 }, 'ackBatchSize'],
    [{ ackBatchSize: 10_001 }, 'ackBatchSize'],
    [{ blockMs: 0 }, 'blockMs'],
    [{ start: 'earliest' }, 'start'], // now from: the error names it
    [{ from: 'yesterday' }, 'from'],
    [{ since: '2026' }, 'since'],
    [{ after: '5-0', since: '2026-06-29T12:00:00Z' }, 'after'],
    [{ backoff: { jitter: 2 } }, 'backoff.jitter'],
    [{ backoff: { multiplier: 0.5 } }, 'backoff.multiplier'],
    [{ backoff: { initialMs: 100, maxMs: 50 } }, 'backoff.maxMs'],
    [{ orderingKey: 'id' }, 'orderingKey'],
    [{ onError: 1 }, 'onError'],
  ])('refuses %j with a ConfigError naming %s', (override, field) => {
    const options = { ...base, ...override } as unknown as ConsumeOptions;
    let caught: unknown;
    try {
      resolveConsumeOptions(options, 5_000);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).context.field).toBe(field);
  });

  it('keeps the acknowledgement window inside claimIdleMs / 3, by default and as given', () => {
    const resolved = (options: Partial<ConsumeOptions>) => resolveConsumeOptions({ ...base, ...options }, 5_000);
    expect(resolved({ claimIdleMs: 12 }).ackWindowMs).toBe(4);
    expect(resolved({ claimIdleMs: 300, ackWindowMs: 100 }).ackWindowMs).toBe(100);
    expect(resolved({ ackWindowMs: 0, ackBatchSize: 1 })).toMatchObject({ ackWindowMs: 0, ackBatchSize: 1 });
    expect(() => resolved({ claimIdleMs: 300, ackWindowMs: 101 })).toThrow(
      'invalid consume option: ackWindowMs must be at most claimIdleMs / 3 (100), got 101',
    );
  });

  it('starts a new group where the start vocabulary says: earliest, latest, after a cursor, at a time', () => {
    const at = (start: Partial<ConsumeOptions>) => resolveConsumeOptions({ ...base, ...start }, 5_000).groupStart;
    expect(at({ from: 'earliest' })).toBe('0-0');
    expect(at({ from: 'latest' })).toBe('$');
    expect(at({ after: '$' })).toBe('$');
    expect(at({ from: '1700000000000-3' })).toBe('1700000000000-3');
    expect(at({ after: '1700000000000-3' })).toBe('1700000000000-3');
    // Entries at or after the time: the group starts after the last possible ID before it.
    expect(at({ since: '2023-11-14T22:13:20.000Z' })).toBe('1699999999999-18446744073709551615');
    expect(at({ since: new Date(1_700_000_000_000) })).toBe('1699999999999-18446744073709551615');
  });

  it('takes a cursor as the start, and keeps a throwing onError from escaping', () => {
    const resolved = resolveConsumeOptions(
      {
        ...base,
        from: '1700000000000-0',
        onError: () => {
          throw new Error('logging is down');
        },
      },
      5_000,
    );
    expect(resolved.groupStart).toBe('1700000000000-0');
    expect(() => resolved.onError(new ConfigError('x'))).not.toThrow();
  });
});
