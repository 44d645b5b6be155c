import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SerializationError } from './errors.js';
import { copyEncoded, decodeJsonObject, encodeJsonObject, utf8Length } from './json.js';

function rejection(value: unknown, maxDepth = 32): SerializationError {
  try {
    encodeJsonObject(value, 'payload', maxDepth);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error(`accepted ${String(value)}`);
}

describe('encodeJsonObject', () => {
  it('encodes any JSON object exactly as JSON.stringify does, or refuses an integer it would not read back', () => {
    // An integer outside ±(2^53 − 1) is written as plain digits that no reader can
    // tell from a 64-bit integer JavaScript rounds (large-integers.ts).
    const holdsUnsafeInteger = (value: unknown): boolean =>
      typeof value === 'number'
        ? Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21
        : typeof value === 'object' && value !== null && Object.values(value).some(holdsUnsafeInteger);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 6 })), (value) => {
        if (holdsUnsafeInteger(value)) expect(() => encodeJsonObject(value, 'payload', 32)).toThrow(/2\^53/);
        else expect(encodeJsonObject(value, 'payload', 32)).toBe(JSON.stringify(value));
      }),
    );
  });

  it('names the path of every value JSON would change or lose', () => {
    class Order {}
    const cyclic: Record<string, unknown> = { a: { b: {} } };
    (cyclic.a as { b: Record<string, unknown> }).b.back = cyclic;
    const cases: [unknown, string][] = [
      [{ n: Number.NaN }, 'payload.n'],
      [{ n: Number.POSITIVE_INFINITY }, 'payload.n'],
      [{ list: [1, -Infinity] }, 'payload.list[1]'],
      [{ big: 2n ** 64n }, 'payload.big'],
      [{ list: [-(2n ** 63n) - 1n] }, 'payload.list[0]'],
      [{ fn: () => 1 }, 'payload.fn'],
      [{ sym: Symbol('x') }, 'payload.sym'],
      [{ gone: undefined }, 'payload.gone'],
      [{ list: [undefined] }, 'payload.list[0]'],
      [{ when: new Date(0) }, 'payload.when'],
      [{ map: new Map() }, 'payload.map'],
      [{ order: new Order() }, 'payload.order'],
      [cyclic, 'payload.a.b.back'],
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point
      [{ sparse: [1, , 3] }, 'payload.sparse[1]'],
      [{ [Symbol('key')]: 1 }, 'payload'],
    ];
    for (const [value, path] of cases) {
      expect(rejection(value).context.path).toBe(path);
    }
    for (const notObject of [null, [], 'text', 42, undefined]) {
      expect(rejection(notObject).message).toMatch(/^payload must be a JSON object/);
    }
  });

  it('rejects nesting deeper than the limit, and allows exactly the limit', () => {
    const nest = (depth: number): Record<string, unknown> => {
      let value: Record<string, unknown> = {};
      for (let level = 1; level < depth; level++) value = { x: value };
      return value;
    };
    expect(encodeJsonObject(nest(4), 'payload', 4)).toBe('{"x":{"x":{"x":{}}}}');
    expect(rejection(nest(5), 4).context.maxDepth).toBe(4);
    // Deep enough to overflow a naive recursive encoder's stack: still a typed error.
    expect(rejection(nest(100_000), 32).context.maxDepth).toBe(32);
  });

  it('writes a bigint within 64 bits as its exact integer, and refuses one past them', () => {
    const limits = { int64Min: -(2n ** 63n), uint64Max: 2n ** 64n - 1n };
    expect(
      encodeJsonObject(
        { small: 5n, min: limits.int64Min, max: limits.uint64Max, nested: { list: [1, 2n ** 53n + 1n, 'x'] } },
        'payload',
        32,
      ),
    ).toBe(
      '{"small":5,"min":-9223372036854775808,"max":18446744073709551615,"nested":{"list":[1,9007199254740993,"x"]}}',
    );
    // Key order, escapes and floats as JSON.stringify writes them; only the bigints differ.
    const mixed = { 2: 'two', 'quote"d': 'é\n', f: 0.5, n: null, t: true, o: {}, a: [], b: 1n };
    expect(encodeJsonObject(mixed, 'payload', 32)).toBe(JSON.stringify({ ...mixed, b: 1 }));
    expect(rejection({ id: 2n ** 64n }).message).toMatch(/^payload\.id is 18446744073709551616n, outside 64 bits/);
    expect(rejection({ id: 2n ** 64n }).context.value).toBe('18446744073709551616');
    expect(rejection({ deep: { x: 1n } }, 1).context.maxDepth).toBe(1);
    expect(rejection({ n: 2 ** 60 }).message).toMatch(/pass it as a bigint or a string/);
  });

  it('allows a shared sub-object that is not a cycle', () => {
    const shared = { id: 1 };
    expect(encodeJsonObject({ a: shared, b: [shared] }, 'payload', 32)).toBe('{"a":{"id":1},"b":[{"id":1}]}');
  });
});

describe('decodeJsonObject', () => {
  it('names the entry when stored text is not a JSON object', () => {
    const error = (() => {
      try {
        decodeJsonObject('{"v":NaN}', 'payload', { id: '1-0' });
      } catch (caught) {
        return caught as SerializationError;
      }
    })();
    expect(error).toBeInstanceOf(SerializationError);
    expect(error?.context).toMatchObject({ id: '1-0', field: 'payload' });
    // In the message too: a CLI or an HTTP error body shows only that.
    expect(error?.message).toMatch(/^stream entry 1-0: stored payload is not valid JSON/);
    expect(() => decodeJsonObject('[1]', 'metadata', { id: '1-0' })).toThrow(/^stream entry 1-0: /);
    expect(decodeJsonObject('{"a":1}', 'payload', {})).toEqual({ a: 1 });
  });
});

describe('copyEncoded', () => {
  it('parses the encoding, or copies the value where parsing would round a bigint', () => {
    const plain = { a: { b: [1, 'x'] } };
    const copy = copyEncoded(encodeJsonObject(plain, 'payload', 32), plain);
    expect(copy).toEqual(plain);
    expect(copy).not.toBe(plain);
    const big = { id: 2n ** 63n - 1n, small: 5n, list: [{ n: 1n }], phone: '12345678901234567890' };
    const bigCopy = copyEncoded(encodeJsonObject(big, 'payload', 32), big) as unknown as typeof big;
    expect(bigCopy).toEqual(big);
    expect(bigCopy.list[0]).not.toBe(big.list[0]);
    // A small bigint alone reads back exactly as a number.
    expect(copyEncoded(encodeJsonObject({ small: 5n }, 'payload', 32), { small: 5n })).toEqual({ small: 5 });
    expect(copyEncoded('null', null)).toBeNull();
  });
});

describe('utf8Length', () => {
  it('equals the length TextEncoder produces, for any text', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8Length(text)).toBe(encoder.encode(text).length);
      }),
      { numRuns: 500 },
    );
  });
});
