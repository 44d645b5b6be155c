import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertCursor,
  compareCursors,
  cursorAtTime,
  formatCursor,
  isCursor,
  nextCursor,
  parseCursor,
} from './cursor.js';
import { InvalidCursorError } from './errors.js';

const MAX = (1n << 64n) - 1n;
const part = fc.oneof(
  fc.bigInt({ min: 0n, max: MAX }),
  fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, MAX - 1n, MAX),
);
const parts = fc.record({ ms: part, seq: part });

// An independent oracle: what a canonical cursor is, said plainly.
function oracle(value: string): boolean {
  const match = /^([0-9]+)-([0-9]+)$/.exec(value);
  if (match === null) return false;
  const [, ms = '', seq = ''] = match;
  const canonical = (digits: string): boolean => digits === '0' || !digits.startsWith('0');
  return canonical(ms) && canonical(seq) && BigInt(ms) <= MAX && BigInt(seq) <= MAX;
}

describe('cursors', () => {
  it('round-trips parse and format for any 64-bit parts', () => {
    fc.assert(
      fc.property(parts, (p) => {
        const cursor = formatCursor(p);
        expect(isCursor(cursor)).toBe(true);
        expect(parseCursor(cursor)).toEqual(p);
      }),
    );
  });

  it('compares numerically, beyond 2^53 too', () => {
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        const expected = a.ms === b.ms ? Math.sign(Number(a.seq - b.seq)) : Math.sign(Number(a.ms - b.ms));
        expect(Math.sign(compareCursors(formatCursor(a), formatCursor(b)))).toBe(expected);
      }),
    );
    // Milliseconds equal or one digit apart, sequences of one length or not: the
    // cases where comparing as text would be wrong.
    const small = fc.bigInt({ min: 0n, max: 1_000n });
    fc.assert(
      fc.property(small, small, small, fc.boolean(), (ms, seqA, seqB, apart) => {
        const a = { ms, seq: seqA };
        const b = { ms: apart ? ms + 1n : ms, seq: seqB };
        const expected = a.ms === b.ms ? Math.sign(Number(a.seq - b.seq)) : -1;
        expect(Math.sign(compareCursors(formatCursor(a), formatCursor(b)))).toBe(expected);
        expect(Math.sign(compareCursors(formatCursor(b), formatCursor(a)))).toBe(0 - expected);
      }),
      { numRuns: 2000 },
    );
    expect(compareCursors('9-0', '10-0')).toBeLessThan(0);
    expect(compareCursors('1-9', '1-10')).toBeLessThan(0);
    expect(compareCursors('9007199254740993-0', '9007199254740992-0')).toBeGreaterThan(0);
    expect(compareCursors('5-5', '5-5')).toBe(0);
  });

  it('accepts exactly the canonical forms', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '1', '9', '-', 'a', ' ', '+', '١') }), (value) => {
        expect(isCursor(value)).toBe(oracle(value));
      }),
      { numRuns: 2000 },
    );
    for (const bad of [
      '',
      '$',
      '1',
      '1-',
      '-1',
      '01-0',
      '1-01',
      '1-0-0',
      '１-0',
      '18446744073709551616-0',
      '1-0 ',
      'x',
    ]) {
      expect(isCursor(bad)).toBe(false);
      expect(() => assertCursor(bad)).toThrow(InvalidCursorError);
    }
    expect(isCursor(`${MAX}-${MAX}`)).toBe(true);
    expect(isCursor(42)).toBe(false);
    expect(() => parseCursor(null)).toThrow(InvalidCursorError);
  });

  it('finds the next cursor: greater, with nothing in between', () => {
    fc.assert(
      fc.property(parts, (p) => {
        fc.pre(!(p.ms === MAX && p.seq === MAX));
        const cursor = formatCursor(p);
        const next = nextCursor(cursor);
        expect(compareCursors(next, cursor)).toBeGreaterThan(0);
        const n = parseCursor(next);
        expect(p.seq === MAX ? n.ms === p.ms + 1n && n.seq === 0n : n.ms === p.ms && n.seq === p.seq + 1n).toBe(true);
      }),
    );
  });

  it('rejects parts outside 64 bits and bad times', () => {
    expect(() => formatCursor({ ms: MAX + 1n, seq: 0n })).toThrow(InvalidCursorError);
    expect(() => formatCursor({ ms: 0n, seq: -1n })).toThrow(InvalidCursorError);
    expect(cursorAtTime(new Date(1719367320123))).toBe('1719367320123-0');
    expect(() => cursorAtTime(new Date(Number.NaN))).toThrow(InvalidCursorError);
    expect(() => cursorAtTime(new Date(-1))).toThrow(InvalidCursorError);
  });
});
