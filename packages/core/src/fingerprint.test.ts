import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventFingerprint, type FingerprintedContent, pythonJsonDumps } from './fingerprint.js';
import type { JsonObject, JsonValue } from './types.js';

const base = { channel: 'c', type: 't', actor: null, metadata: {}, created_at: '2026-06-29T12:00:00Z' };

// Expected values printed by CPython 3.11 running the Python ReplayRail's own recipe:
// hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
const PYTHON_VECTORS: [FingerprintedContent, string][] = [
  [
    {
      channel: 'restaurant:123:orders',
      type: 'order.created',
      payload: { order_id: 'ord_123' },
      actor: { type: 'waiter', id: 'usr_123' },
      metadata: { correlation_id: 'req_abc123' },
      created_at: '2026-06-29T12:00:00.123000Z',
    },
    '112f7dcb2f876c0047aa303ab88a216b85005a55108ae81ce37879dd09a5708b',
  ],
  [{ ...base, payload: {} }, '455a312f39bf456308d7a3fb97e6410bd0c6439b8b608975e1c34f7c8e8a3213'],
  [
    {
      ...base,
      payload: {
        z: 1,
        a: [1, 2, { y: true, b: null }],
        é: 'crème 🍮',
        été: 'x',
        '😀': 'emoji key',
        '\uffff': 'bmp top',
      },
      actor: { n: -3 },
      metadata: { ctl: 'a\nb\t"q"\\\u0001\u007f' },
    },
    '435d3cda756fc3dc35c5058fea38cafd6e2ff7fe5cdeeeb66afe99d5e946edb6',
  ],
  [
    {
      ...base,
      payload: {
        f: 0.1,
        small: 1e-5,
        smaller: 1.5e-7,
        neg: -2.5e-5,
        edge: 0.0001,
        big: 1e21,
        int: 9007199254740991,
        x: 1.23456,
      },
    },
    '9fcc1fece82c8852519680a92f4921033c54a359da4ccb3894ff9863728d0039',
  ],
];

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('eventFingerprint', () => {
  it.each(PYTHON_VECTORS)('matches the Python library byte for byte (%#)', (content, expected) => {
    expect(eventFingerprint(content)).toBe(expected);
  });

  it('orders keys by code point, as Python does, not by UTF-16 unit', () => {
    expect(pythonJsonDumps({ '\uffff': 1, '😀': 2, a: 3 })).toBe('{"a":3,"\uffff":1,"😀":2}');
  });

  it('formats floats as Python repr does', () => {
    expect(pythonJsonDumps([1e-5, 1.5e-7, -2.5e-5, 0.0001, 1e21, 0.1, 5e-324])).toBe(
      '[1e-05,1.5e-07,-2.5e-05,0.0001,1e+21,0.1,5e-324]',
    );
  });

  it('writes a bigint as the int Python dumps from the same digits', () => {
    const value = { u: 2n ** 64n - 1n, i: -(2n ** 63n), small: 5n } as unknown as JsonValue;
    expect(pythonJsonDumps(value)).toBe('{"i":-9223372036854775808,"small":5,"u":18446744073709551615}');
  });

  // The strongest check: random JSON through this code and through CPython itself.
  it.runIf(hasPython())('agrees with CPython json.dumps on random JSON objects', () => {
    // Grapheme units: well-formed text, as both sides must encode it to UTF-8.
    const samples = fc.sample(
      fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' }), {
        maxKeys: 6,
      }),
      { numRuns: 300, seed: 42 },
    ) as JsonObject[];
    const script =
      'import json,sys\nfor line in sys.stdin:\n  print(json.dumps(json.loads(line), ensure_ascii=False, sort_keys=True, separators=(",", ":")))';
    const output = execFileSync('python3', ['-c', script], {
      input: samples.map((sample) => JSON.stringify(sample)).join('\n'),
      encoding: 'utf8',
      env: { ...process.env, PYTHONIOENCODING: 'utf-8' },
    });
    expect(output.trimEnd().split('\n')).toEqual(samples.map((sample) => pythonJsonDumps(sample)));
  });
});
