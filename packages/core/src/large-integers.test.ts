import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEntry } from './envelope.js';
import { isReplayRailError } from './errors.js';
import { decodeJsonObject, encodeJsonObject } from './json.js';
import { guardLargeIntegers, holdsUnsafeInteger } from './large-integers.js';

const where = { id: '1719367320123-0', channel: 'c' };

function failure(run: () => unknown): Record<string, unknown> {
  try {
    run();
  } catch (error) {
    expect(isReplayRailError(error, 'serialization_error')).toBe(true);
    return { message: (error as Error).message, ...(error as { context: object }).context };
  }
  throw new Error('expected a SerializationError');
}

describe('integers outside ±(2^53 − 1) in stored JSON', () => {
  it('are an error naming the entry, the JSON path and the value', () => {
    const text = '{"user_id": 9007199254740993}';
    expect(JSON.parse(text).user_id).toBe(9007199254740992); // what would happen without the guard
    expect(failure(() => guardLargeIntegers(text, 'payload', where, 'error'))).toMatchObject({
      id: '1719367320123-0',
      path: 'payload.user_id',
      value: '9007199254740993',
      message: expect.stringContaining('would round to 9007199254740992'),
    });
    const nested = '{"a":{"b":[1,{"id":-12345678901234567890}]},"z":"x"}';
    expect(failure(() => guardLargeIntegers(nested, 'metadata', where, 'error'))).toMatchObject({
      path: 'metadata.a.b[1].id',
      value: '-12345678901234567890',
    });
    // 2^53 itself is outside the safe range: 2^53 + 1 would read as it.
    expect(failure(() => guardLargeIntegers('{"n":9007199254740992}', 'payload', where, 'error'))).toMatchObject({
      path: 'payload.n',
    });
  });

  it('leave safe integers, floats, and digits in strings and keys alone', () => {
    for (const text of [
      '{"n":9007199254740991,"m":-9007199254740991}',
      '{"f":12345678901234567890.5,"e":1.2345678901234567e30,"g":12345678901234567e-3}',
      '{"phone":"12345678901234567890","12345678901234567890":true,"esc":"\\"99999999999999999\\""}',
      '{"n":NaN}', // not JSON: left for JSON.parse to refuse
    ]) {
      expect(guardLargeIntegers(text, 'payload', where, 'error')).toBe(text);
    }
  });

  it("are read as strings of their exact digits under largeIntegers: 'string'", () => {
    const text = '{"user_id":9007199254740993,"ids":[1,18446744073709551615,-9223372036854775808],"ok":2}';
    expect(JSON.parse(guardLargeIntegers(text, 'payload', where, 'string'))).toEqual({
      user_id: '9007199254740993',
      ids: [1, '18446744073709551615', '-9223372036854775808'],
      ok: 2,
    });
  });

  it('round-trip any JSON: unchanged text when all integers are safe, exact strings otherwise', () => {
    const unsafe = (value: unknown): boolean =>
      typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21;
    const expected = (value: unknown): unknown => {
      if (unsafe(value)) return String(value);
      if (typeof value === 'number') return value === 0 ? 0 : value; // -0 is written as 0
      if (Array.isArray(value)) return value.map(expected);
      if (typeof value === 'object' && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expected(item)]));
      }
      return value;
    };
    const big = fc.oneof(
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(Number),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    const value = fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), big, fc.array(big, { maxLength: 3 })));
    fc.assert(
      fc.property(value, (object) => {
        const text = JSON.stringify(object);
        const guarded = guardLargeIntegers(text, 'payload', where, 'string');
        expect(JSON.parse(guarded)).toEqual(expected(object));
        if (guarded === text) expect(() => guardLargeIntegers(text, 'payload', where, 'error')).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('reach decodeEntry for every JSON field, and are refused when published', () => {
    const fields = {
      event_id: 'e1',
      channel: 'c',
      type: 't',
      payload: '{"user_id":9007199254740993}',
      actor: '{"id":9007199254740993}',
      metadata: '{}',
      created_at: '2026-06-29T12:00:00Z',
    };
    expect(failure(() => decodeEntry('5-0', { ...fields, actor: 'null' }))).toMatchObject({
      id: '5-0',
      path: 'payload.user_id',
    });
    expect(failure(() => decodeEntry('5-0', fields))).toMatchObject({ id: '5-0', path: 'actor.id' });
    const read = decodeEntry('5-0', fields, { largeIntegers: 'string' });
    expect(read.payload).toEqual({ user_id: '9007199254740993' });
    expect(read.actor).toEqual({ id: '9007199254740993' });
    // What JavaScript cannot hold exactly, it may not write either: it would not read back.
    expect(failure(() => encodeJsonObject({ big: 2 ** 60 }, 'payload', 32))).toMatchObject({ path: 'payload.big' });
    expect(failure(() => encodeJsonObject({ big: 1e20 }, 'payload', 32))).toMatchObject({ path: 'payload.big' });
    expect(encodeJsonObject({ safe: Number.MAX_SAFE_INTEGER, float: 1e21, half: 0.5 }, 'payload', 32)).toBe(
      '{"safe":9007199254740991,"float":1e+21,"half":0.5}',
    );
  });
});

describe('holdsUnsafeInteger', () => {
  it('finds a parsed integer past 2^53 anywhere, and nothing else', () => {
    expect(holdsUnsafeInteger({ a: [1, { b: 2 ** 53 }] })).toBe(true);
    expect(holdsUnsafeInteger({ a: [-(2 ** 60)] })).toBe(true);
    expect(holdsUnsafeInteger({ a: 2 ** 53 - 1, b: 1.5, c: '9007199254740993', d: null, e: true })).toBe(false);
  });

  it('leaves a value nested past the call stack to the text scan', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(holdsUnsafeInteger(deep)).toBe(true);
    const text = `${'['.repeat(200_000)}1${']'.repeat(200_000)}`;
    expect(decodeJsonObject(`{"a":${text}}`, 'payload', where)).toBeTypeOf('object');
  });

  it('lets decodeJsonObject read any JSON as the text scan alone would', () => {
    const integer = fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }));
    const leaf = fc.oneof(
      integer.map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.string().map((s) => JSON.stringify(s)),
    );
    const json = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value')).map((items) => `[${items.join(',')}]`),
        fc.dictionary(fc.string(), tie('value')).map(
          (o) =>
            `{${Object.entries(o)
              .map(([k, v]) => `${JSON.stringify(k)}:${v}`)
              .join(',')}}`,
        ),
      ),
    })).value;
    fc.assert(
      fc.property(json, (member) => {
        const text = `{"v":${member}}`;
        for (const mode of ['error', 'string'] as const) {
          let scanned: unknown;
          try {
            scanned = JSON.parse(guardLargeIntegers(text, 'payload', where, mode));
          } catch (error) {
            expect(() => decodeJsonObject(text, 'payload', where, mode)).toThrow((error as Error).message);
            continue;
          }
          expect(decodeJsonObject(text, 'payload', where, mode)).toEqual(scanned);
        }
      }),
    );
  });
});
