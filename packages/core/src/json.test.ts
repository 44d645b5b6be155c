import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SerializationError } from './errors.js';
import { decodeJsonObject, encodeJsonObject, utf8Length } from './json.js';

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
      [{ big: 10n }, 'payload.big'],
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
    expect(() => decodeJsonObject('[1]', 'metadata', { id: '1-0' })).toThrow(SerializationError);
    expect(decodeJsonObject('{"a":1}', 'payload', {})).toEqual({ a: 1 });
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
