import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { InvalidChannelError, InvalidEventIdError, InvalidEventTypeError } from './errors.js';
import { assertChannel, assertEventId, assertEventType } from './validate.js';

const { limits } = resolveConfig();
const CHANNEL_ALPHABET = 'abcXYZ019._:/-'.split('');

function accepts(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe('channel names', () => {
  it('accepts exactly the allowed alphabet, segments and lengths', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...CHANNEL_ALPHABET, '*', '{', ' ', '\n', 'é'), maxLength: 12 }),
        (channel) => {
          const segmentsOk = channel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
          const reserved = channel === 'idempotency' || channel.startsWith('idempotency:');
          const expected = /^[A-Za-z0-9._:/-]+$/.test(channel) && segmentsOk && !reserved;
          expect(accepts(() => assertChannel(channel, limits))).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('rejects, with InvalidChannelError naming the problem, every unsafe name', () => {
    const cases: [unknown, RegExp][] = [
      ['', /non-empty/],
      [42, /non-empty string, got number/],
      ['orders*', /may only contain/],
      ['{orders}', /may only contain/],
      ['a b', /may only contain/],
      ['a\u0000b', /may only contain/],
      ['x'.repeat(257), /longer than 256/],
      ['a//b', /segment/],
      ['/a', /segment/],
      ['a/', /segment/],
      ['a/./b', /segment/],
      ['../etc', /segment/],
      ['idempotency', /reserved/],
      ['idempotency:evt-1', /reserved/],
    ];
    for (const [channel, message] of cases) {
      expect(() => assertChannel(channel, limits)).toThrow(InvalidChannelError);
      expect(() => assertChannel(channel, limits)).toThrow(message);
    }
    expect(() => assertChannel('x'.repeat(256), limits)).not.toThrow();
    expect(() => assertChannel('idempotency-log', limits)).not.toThrow();
    expect(() => assertChannel('x'.repeat(20), { ...limits, maxChannelLength: 10 })).toThrow(/longer than 10/);
  });
});

describe('event types and event_ids', () => {
  it('accept letters, digits and . _ : - within their limits', () => {
    expect(() => assertEventType('order.created', limits)).not.toThrow();
    expect(() => assertEventId('6f1c2a4e-8a53-4b1e-9f5e-0c1d2e3f4a5b', limits)).not.toThrow();
    expect(() => assertEventType('order/created', limits)).toThrow(InvalidEventTypeError);
    expect(() => assertEventType('t'.repeat(129), limits)).toThrow(InvalidEventTypeError);
    expect(() => assertEventId('a b', limits)).toThrow(InvalidEventIdError);
    expect(() => assertEventId('e'.repeat(129), limits)).toThrow(InvalidEventIdError);
    expect(() => assertEventId(undefined, limits)).toThrow(InvalidEventIdError);
  });
});
