import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, defineMethod, defineNotification } from '../contract.js';
import { arithContract } from '../test-support/contracts/arith.js';
import { canonicalJson, schemaHash } from './json-schema.js';
import { lowerContract } from './lower.js';
import { buildManifest, manifestText } from './manifest.js';
import { GENERATOR } from './version.js';

function ir(contract: ReturnType<typeof defineContract>, sourceName = 'contract.ts') {
  return lowerContract({ contract, exportName: 'contract', sourceName });
}

describe('the manifest', () => {
  const manifest = buildManifest([ir(arithContract, 'arith.ts')]);
  const arith = manifest.contracts.arith;

  it('names the generator and each contract’s module', () => {
    expect(manifest.generator).toEqual({ name: '@replayrail/rpc codegen', version: GENERATOR.version });
    expect(arith?.source).toBe('arith.ts');
    expect(Object.keys(arith?.methods ?? {})).toEqual(['add', 'describe', 'divide', 'echoText', 'ping', 'slowAdd']);
  });

  it('holds the sha256 of each method’s params and result JSON Schema, null for a notification’s result', () => {
    const add = arith?.methods.add;
    expect(add?.kind).toBe('method');
    expect(add?.paramsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(add?.paramsSha256).toBe(schemaHash(z.toJSONSchema(arithContract.methods.add.params, { io: 'input' })));
    expect(add?.resultSha256).toBe(schemaHash(z.toJSONSchema(arithContract.methods.add.result, { io: 'output' })));
    expect(arith?.methods.ping).toMatchObject({ kind: 'notification', resultSha256: null });
    // add and divide take the same params, so they hash the same.
    expect(arith?.methods.divide?.paramsSha256).toBe(add?.paramsSha256);
  });

  it('a schema’s hash is that of its canonical JSON: key order does not matter, a change does', () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: 'é' }] })).toBe('{"a":[{"c":"é","d":null}],"b":1}');
    expect(schemaHash({ type: 'object', required: ['a'] })).toBe(schemaHash({ required: ['a'], type: 'object' }));
    const changed = defineContract('arith', {
      add: defineMethod({ params: z.object({ a: z.number(), b: z.int() }), result: z.object({ sum: z.number() }) }),
    });
    expect(buildManifest([ir(changed)]).contracts.arith?.methods.add?.paramsSha256).not.toBe(
      arith?.methods.add?.paramsSha256,
    );
  });

  it('is deterministic two-space JSON with a final newline', () => {
    const contracts = () => [
      ir(arithContract, 'arith.ts'),
      ir(defineContract('echo', { say: defineNotification({ params: z.string() }) })),
    ];
    const text = manifestText(contracts());
    expect(text).toBe(manifestText(contracts()));
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ contracts: { echo: { methods: { say: { kind: 'notification' } } } } });
  });
});
