import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCreatedAt, nowCreatedAt, readCreatedAt } from './created-at.js';
import { InvalidCreatedAtError } from './errors.js';

const PYTHON_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/;

describe('created_at', () => {
  it('writes UTC with Z: no fraction when zero, else six digits', () => {
    expect(formatCreatedAt(new Date('2026-06-29T12:00:00.000Z'))).toBe('2026-06-29T12:00:00Z');
    expect(formatCreatedAt(new Date('2026-06-29T12:00:00.123Z'))).toBe('2026-06-29T12:00:00.123000Z');
    expect(formatCreatedAt(new Date('2026-06-29T12:00:00.007Z'))).toBe('2026-06-29T12:00:00.007000Z');
  });

  it('normalises ISO strings with offsets and keeps microseconds', () => {
    expect(formatCreatedAt('2026-06-29T12:00:00.123456Z')).toBe('2026-06-29T12:00:00.123456Z');
    expect(formatCreatedAt('2026-06-29T14:00:00+02:00')).toBe('2026-06-29T12:00:00Z');
    expect(formatCreatedAt('2026-06-29T00:30:00.5-01:30')).toBe('2026-06-29T02:00:00.500000Z');
    expect(formatCreatedAt('2026-06-29T12:00:00.123456789Z')).toBe('2026-06-29T12:00:00.123456Z');
    expect(formatCreatedAt('2026-06-29T12:00:00.000000Z')).toBe('2026-06-29T12:00:00Z');
    expect(formatCreatedAt('0050-01-01T00:00:00Z')).toBe('0050-01-01T00:00:00Z');
    expect(formatCreatedAt('2024-02-29T23:59:59.999999Z')).toBe('2024-02-29T23:59:59.999999Z');
  });

  it('is a fixed point on its own output, for any time Python can hold', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (date) => {
          const text = formatCreatedAt(date);
          expect(text).toMatch(PYTHON_FORM);
          expect(formatCreatedAt(text)).toBe(text);
          expect(new Date(text).getTime()).toBe(date.getTime());
        },
      ),
    );
  });

  it('rejects what is not a real time in years 1-9999', () => {
    for (const bad of [
      '',
      'yesterday',
      '2026-02-30T00:00:00Z',
      '2026-06-29T24:00:00Z',
      '2026-06-29T12:00:60Z',
      '2026-06-29T12:00:00',
      '2026-06-29T12:00:00+25:00',
      '0000-01-01T00:00:00Z',
      '2026-06-29',
    ]) {
      expect(() => formatCreatedAt(bad), bad).toThrow(InvalidCreatedAtError);
    }
    expect(() => formatCreatedAt(new Date(Number.NaN))).toThrow(InvalidCreatedAtError);
    expect(() => formatCreatedAt(new Date('+010000-01-01T00:00:00Z'))).toThrow(InvalidCreatedAtError);
    expect(() => formatCreatedAt(12 as never)).toThrow(InvalidCreatedAtError);
  });

  it('reads a stored time in the envelope form as stored, and any other ISO form in it', () => {
    for (const stored of ['2026-06-29T12:00:00Z', '2026-06-29T12:00:00.123000Z', '2024-02-29T23:59:59.999999Z']) {
      expect(readCreatedAt(stored)).toBe(stored);
    }
    const forms: [string, string][] = [
      ['2026-06-29T14:00:00+02:00', '2026-06-29T12:00:00Z'],
      ['2026-06-29T12:00:00+00:00', '2026-06-29T12:00:00Z'],
      ['2026-06-29T07:30:00.25-04:30', '2026-06-29T12:00:00.250000Z'],
      ['2026-06-29T12:00:00.123Z', '2026-06-29T12:00:00.123000Z'],
      ['2026-06-29T12:00:00.1Z', '2026-06-29T12:00:00.100000Z'],
      ['2026-06-29T12:00:00.123456789Z', '2026-06-29T12:00:00.123456Z'],
      ['2026-06-29T12:00:00.000000Z', '2026-06-29T12:00:00Z'],
      ['2026-06-29 12:00:00Z', '2026-06-29T12:00:00Z'],
      ['2026-06-29t12:00:00z', '2026-06-29T12:00:00Z'],
      ['2026-06-29T12:00:00+0200', '2026-06-29T10:00:00Z'],
      ['2026-06-30T01:00:00+02:00', '2026-06-29T23:00:00Z'],
      ['2026-06-30T12:00:00Z', '2026-06-30T12:00:00Z'],
    ];
    for (const [stored, read] of forms) expect(readCreatedAt(stored), stored).toBe(read);
  });

  it('refuses a stored value that is no time with a zone', () => {
    for (const bad of [
      'not-a-date',
      '',
      '2026-06-29T12:00:00',
      '2026-02-30T12:00:00Z',
      '2026-02-29T12:00:00Z',
      '0000-01-01T00:00:00Z',
      '2026-06-29T12:00:00.1234567890Z',
      '1719367320123',
    ]) {
      expect(() => readCreatedAt(bad), bad).toThrow(InvalidCreatedAtError);
    }
  });

  it('reads every time formatCreatedAt writes as it is, and agrees with it on any ISO form', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-02T00:00:00Z'),
          max: new Date('9999-12-30T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (date, offsetMinutes) => {
          const text = formatCreatedAt(date);
          expect(readCreatedAt(text)).toBe(text);
          // The same instant at another offset, with JavaScript's three-digit fraction.
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(readCreatedAt(`${local}${zone}`)).toBe(text);
        },
      ),
    );
  });

  it('reads the injected clock for now', () => {
    expect(nowCreatedAt(() => Date.UTC(2026, 5, 29, 12))).toBe('2026-06-29T12:00:00Z');
  });
});
