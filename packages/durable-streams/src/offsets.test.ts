import { compareCursors } from '@replayrail/core/cursor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeOffset, encodeOffset, parseOffsetParam, START_OFFSET } from './offsets.js';

const MAX_U64 = (1n << 64n) - 1n;
// Store IDs as stores make them: small sequences (many of them ≥ 10) and any 64-bit part.
const part = fc.oneof(fc.bigInt({ min: 0n, max: 30n }), fc.bigInt({ min: 0n, max: MAX_U64 }));
const storeId = fc.tuple(part, part).map(([ms, seq]) => `${ms}-${seq}`);

describe('offsets', () => {
  it('encode fixed-width: each part zero-padded to the 20 digits of 2^64 - 1', () => {
    expect(encodeOffset('1796582243338-0')).toBe('00000001796582243338_00000000000000000000');
    expect(encodeOffset('1796582243338-12')).toBe('00000001796582243338_00000000000000000012');
    expect(encodeOffset(`${MAX_U64}-${MAX_U64}`)).toBe('18446744073709551615_18446744073709551615');
    expect(encodeOffset('0-0')).toBe(START_OFFSET);
  });

  it('decode what they encode, for any store ID', () => {
    fc.assert(
      fc.property(storeId, (id) => {
        expect(decodeOffset(encodeOffset(id))).toBe(id);
      }),
      { numRuns: 1000 },
    );
  });

  it('order as plain strings exactly as the store IDs order (a raw <ms>-<seq> does not once seq reaches 10)', () => {
    expect('1-9' < '1-10').toBe(false); // why offsets are not the raw IDs
    expect(encodeOffset('1-9') < encodeOffset('1-10')).toBe(true);
    fc.assert(
      fc.property(storeId, storeId, (a, b) => {
        const byId = Math.sign(compareCursors(a, b));
        const ea = encodeOffset(a);
        const eb = encodeOffset(b);
        const byString = ea < eb ? -1 : ea > eb ? 1 : 0;
        expect(byString).toBe(byId);
      }),
      { numRuns: 2000 },
    );
  });

  it('use only URL-safe characters, none the protocol forbids, and are never a sentinel', () => {
    fc.assert(
      fc.property(storeId, (id) => {
        const offset = encodeOffset(id);
        expect(offset).toMatch(/^[0-9]{20}_[0-9]{20}$/);
        expect(offset).not.toBe('-1');
        expect(offset).not.toBe('now');
      }),
    );
  });

  it('decode nothing but offsets this server could mint', () => {
    for (const bad of [
      '',
      '-1',
      'now',
      '0_0',
      '1-0',
      `${'0'.repeat(19)}_${'0'.repeat(20)}`,
      `${'0'.repeat(21)}_${'0'.repeat(20)}`,
      `${'0'.repeat(20)}-${'0'.repeat(20)}`,
      `${'0'.repeat(20)}_${'0'.repeat(20)} `,
      // Over 2^64 - 1.
      `18446744073709551616_${'0'.repeat(20)}`,
      `${'0'.repeat(20)}_99999999999999999999`,
      // Other scripts' digits.
      `${'٠'.repeat(20)}_${'0'.repeat(20)}`,
    ]) {
      expect(decodeOffset(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('the offset parameter: absent or -1 the start, now the tail, else an offset; else a 400', () => {
    expect(parseOffsetParam([])).toEqual({ kind: 'start' });
    expect(parseOffsetParam(['-1'])).toEqual({ kind: 'start' });
    expect(parseOffsetParam(['now'])).toEqual({ kind: 'now' });
    expect(parseOffsetParam([encodeOffset('17-42')])).toEqual({ kind: 'after', id: '17-42' });
    for (const bad of [[''], ['a', 'b'], ['0,1'], ['0 1'], ['../x'], ['NOW'], ['-2'], ['1-0']]) {
      expect(() => parseOffsetParam(bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'invalid_request' }),
      );
    }
  });
});
