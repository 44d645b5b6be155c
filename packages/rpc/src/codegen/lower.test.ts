import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, defineMethod, defineNotification } from '../contract.js';
import { arithContract } from '../test-support/contracts/arith.js';
import { CodegenError } from './errors.js';
import type { IrContract, IrModel } from './ir.js';
import { lowerContract } from './lower.js';
import { pascalCase, pythonFieldName, pythonName, snakeCase } from './names.js';

function lower(contract: ReturnType<typeof defineContract>): IrContract {
  return lowerContract({ contract, exportName: 'contract', sourceName: 'contract.ts' });
}

/** The IR of one method's params, as the only method of a contract. */
function paramsOf(params: z.ZodType): IrContract {
  return lower(defineContract('demo', { run: defineNotification({ params }) }));
}

function model(contract: IrContract, name: string): IrModel {
  const found = contract.models.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no model ${name} in ${contract.models.map((m) => m.name).join(', ')}`);
  return found;
}

function fieldsOf(contract: IrContract, name: string) {
  const found = model(contract, name);
  if (found.kind !== 'object') throw new Error(`${name} is a ${found.kind} model`);
  return Object.fromEntries(found.fields.map((field) => [field.wireName, field]));
}

function lowerError(params: z.ZodType): string {
  try {
    paramsOf(params);
  } catch (error) {
    expect(error).toBeInstanceOf(CodegenError);
    return (error as Error).message;
  }
  throw new Error('lowering did not fail');
}

describe('names', () => {
  it('snake_case and PascalCase names', () => {
    expect(snakeCase('orderId')).toBe('order_id');
    expect(snakeCase('userID')).toBe('user_id');
    expect(snakeCase('HTTPServer')).toBe('http_server');
    expect(snakeCase('get-user')).toBe('get_user');
    expect(snakeCase('v2Api')).toBe('v2_api');
    expect(pascalCase('echoText')).toBe('EchoText');
    expect(pascalCase('order-svc')).toBe('OrderSvc');
  });

  it('Python names that are no keyword, no leading digit, and shadow nothing', () => {
    expect(pythonName('import')).toBe('import_');
    expect(pythonName('2fa')).toBe('field_2fa');
    expect(pythonName('_id')).toBe('id');
    expect(pythonFieldName('json')).toBe('json_');
    expect(pythonFieldName('modelName')).toBe('model_name_');
    expect(pythonFieldName('str')).toBe('str_');
  });
});

describe('lowering a contract', () => {
  const arith = lower(arithContract);

  it('sorts the methods by name and names their models and handlers', () => {
    expect(arith.methods.map((method) => [method.name, method.pythonName, method.notification])).toEqual([
      ['add', 'add', false],
      ['describe', 'describe', false],
      ['divide', 'divide', false],
      ['echoText', 'echo_text', false],
      ['ping', 'ping', true],
      ['slowAdd', 'slow_add', false],
    ]);
    expect(arith.methods.find((method) => method.name === 'echoText')?.result?.model).toBe('EchoTextResult');
    expect(arith.methods.find((method) => method.name === 'ping')?.result).toBeNull();
  });

  it('puts a nested model before the model that uses it', () => {
    const names = arith.models.map((candidate) => candidate.name);
    expect(names.indexOf('DescribeResultLinesItem')).toBeLessThan(names.indexOf('DescribeResult'));
    expect(fieldsOf(arith, 'DescribeResult').lines?.type).toEqual({
      kind: 'list',
      items: { kind: 'model', name: 'DescribeResultLinesItem' },
    });
  });

  it('aliases camelCase wire names to snake_case Python names', () => {
    const fields = fieldsOf(arith, 'DescribeParams');
    expect(fields.orderId).toMatchObject({ pythonName: 'order_id', required: true, type: { kind: 'string' } });
    expect(fields.priority).toMatchObject({
      pythonName: 'priority',
      required: false,
      type: { kind: 'literal', values: ['low', 'high'] },
    });
  });

  it('keeps nullable (required, may be null) apart from optional (may be missing)', () => {
    expect(fieldsOf(arith, 'DescribeResult').note).toMatchObject({
      required: true,
      type: { kind: 'union', members: [{ kind: 'string' }, { kind: 'null' }] },
    });
    expect(fieldsOf(arith, 'PingParams').tag).toMatchObject({ required: false, type: { kind: 'string' } });
  });

  it('lowers integers to int with their bounds, other numbers to number', () => {
    expect(fieldsOf(arith, 'SlowAddParams').sleepMs?.type).toEqual({ kind: 'integer', constraints: { ge: 0 } });
    expect(fieldsOf(arith, 'DescribeResultLinesItem').qty?.type).toEqual({ kind: 'integer' });
    expect(fieldsOf(arith, 'AddParams').a?.type).toEqual({ kind: 'number' });
  });
});

describe('each schema shape', () => {
  it('strings, booleans, literals, enums and their bounds', () => {
    const ir = paramsOf(
      z.object({
        name: z.string().min(1).max(5),
        flag: z.boolean(),
        kind: z.literal('x'),
        level: z.enum(['a', 'b']),
        mixed: z.literal(['a', 2, true]),
        code: z.enum({ one: 1, two: 2 }),
        positive: z.number().positive(),
      }),
    );
    const fields = fieldsOf(ir, 'RunParams');
    expect(fields.name?.type).toEqual({ kind: 'string', constraints: { min_length: 1, max_length: 5 } });
    expect(fields.flag?.type).toEqual({ kind: 'boolean' });
    expect(fields.kind?.type).toEqual({ kind: 'literal', values: ['x'] });
    expect(fields.level?.type).toEqual({ kind: 'literal', values: ['a', 'b'] });
    expect(fields.mixed?.type).toEqual({ kind: 'literal', values: ['a', 2, true] });
    expect(fields.code?.type).toEqual({ kind: 'literal', values: [1, 2] });
    expect(fields.positive?.type).toEqual({ kind: 'number', constraints: { gt: 0 } });
  });

  it('arrays, tuples and records', () => {
    const ir = paramsOf(
      z.object({
        tags: z.array(z.string()).min(1),
        pair: z.tuple([z.string(), z.int()]),
        counts: z.record(z.string(), z.number()),
        bySide: z.partialRecord(z.enum(['left', 'right']), z.boolean()),
        loose: z.record(z.string(), z.unknown()),
      }),
    );
    const fields = fieldsOf(ir, 'RunParams');
    expect(fields.tags?.type).toEqual({ kind: 'list', items: { kind: 'string' }, constraints: { min_length: 1 } });
    expect(fields.pair?.type).toEqual({ kind: 'tuple', items: [{ kind: 'string' }, { kind: 'integer' }] });
    expect(fields.counts?.type).toEqual({ kind: 'record', keys: { kind: 'string' }, values: { kind: 'number' } });
    expect(fields.bySide?.type).toEqual({
      kind: 'record',
      keys: { kind: 'literal', values: ['left', 'right'] },
      values: { kind: 'boolean' },
    });
    expect(fields.loose?.type).toEqual({ kind: 'record', keys: { kind: 'string' }, values: { kind: 'any' } });
  });

  it('unions, nullable objects and enums, nullish and defaults', () => {
    const ir = paramsOf(
      z.object({
        choice: z.union([z.string(), z.number()]),
        box: z.object({ size: z.int() }).nullable(),
        level: z.enum(['a', 'b']).nullable(),
        maybe: z.string().nullish(),
        retries: z.int().default(3),
        anything: z.any(),
      }),
    );
    const fields = fieldsOf(ir, 'RunParams');
    expect(fields.choice?.type).toEqual({ kind: 'union', members: [{ kind: 'string' }, { kind: 'number' }] });
    expect(fields.box?.type).toEqual({
      kind: 'union',
      members: [{ kind: 'model', name: 'RunParamsBox' }, { kind: 'null' }],
    });
    expect(fields.level?.type).toEqual({
      kind: 'union',
      members: [{ kind: 'literal', values: ['a', 'b'] }, { kind: 'null' }],
    });
    expect(fields.maybe).toMatchObject({ required: false });
    expect(fields.retries).toMatchObject({ required: false, default: 3, type: { kind: 'integer' } });
    expect(fields.anything).toMatchObject({ required: false, type: { kind: 'any' } });
  });

  it('a union of objects at the top is a root model over numbered members', () => {
    const ir = lower(
      defineContract('launch', {
        start: defineMethod({
          params: z.object({ id: z.string() }),
          result: z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), reason: z.string() })]),
        }),
      }),
    );
    expect(model(ir, 'StartResult')).toEqual({
      kind: 'root',
      name: 'StartResult',
      type: {
        kind: 'union',
        members: [
          { kind: 'model', name: 'StartResult1' },
          { kind: 'model', name: 'StartResult2' },
        ],
      },
    });
    expect(fieldsOf(ir, 'StartResult2').ok?.type).toEqual({ kind: 'literal', values: [false] });
  });

  it('params that are no object are a root model', () => {
    expect(model(paramsOf(z.string()), 'RunParams')).toEqual({
      kind: 'root',
      name: 'RunParams',
      type: { kind: 'string' },
    });
  });

  it('a loose object allows extra fields; a strict one and a plain one forbid them', () => {
    expect(model(paramsOf(z.looseObject({ a: z.string() })), 'RunParams')).toMatchObject({ extra: 'allow' });
    expect(model(paramsOf(z.strictObject({ a: z.string() })), 'RunParams')).toMatchObject({ extra: 'forbid' });
    expect(model(paramsOf(z.object({ a: z.string() })), 'RunParams')).toMatchObject({ extra: 'forbid' });
  });

  it('a schema with a .meta id becomes one model named by its id', () => {
    const point = z.object({ x: z.number() }).meta({ id: 'point' });
    const ir = paramsOf(z.object({ from: point, to: point }));
    expect(fieldsOf(ir, 'RunParams').from?.type).toEqual({ kind: 'model', name: 'Point' });
    expect(fieldsOf(ir, 'RunParams').to?.type).toEqual({ kind: 'model', name: 'Point' });
    expect(ir.models.filter((candidate) => candidate.name.startsWith('Point'))).toHaveLength(1);
  });

  it('keeps model names unique', () => {
    const ir = lower(
      defineContract('demo', {
        run: defineMethod({
          params: z.object({ result: z.object({ a: z.string() }) }),
          result: z.object({ b: z.string() }),
        }),
        runParams: defineNotification({ params: z.object({ c: z.string() }) }),
      }),
    );
    expect(ir.models.map((candidate) => candidate.name).sort()).toEqual([
      'RunParams',
      'RunParamsParams',
      'RunParamsResult',
      'RunResult',
    ]);
  });
});

describe('refused input', () => {
  it('a type zod cannot convert names the contract, the method and zod’s reason', () => {
    expect(lowerError(z.object({ at: z.date() }))).toMatch(
      /^demo\.run params: zod cannot convert this schema to JSON Schema \(Date cannot be represented/,
    );
  });

  it('an intersection zod leaves as allOf names the path', () => {
    expect(lowerError(z.object({ name: z.intersection(z.string(), z.string().min(1)) }))).toBe(
      'demo.run params at #/properties/name: unsupported JSON Schema keyword "allOf" (an intersection zod could not merge into one object)',
    );
  });

  it('a recursive schema', () => {
    const node = z.object({
      name: z.string(),
      get children() {
        return z.array(node);
      },
    });
    expect(lowerError(node)).toMatch(/^demo\.run params at #\/properties\/children\/items: a recursive schema/);
  });

  it('a catchall, a tuple with rest items, z.never()', () => {
    expect(lowerError(z.object({ a: z.string() }).catchall(z.number()))).toBe(
      'demo.run params at #/additionalProperties: an object with fields and a catchall schema (.catchall()) has no Pydantic form',
    );
    expect(lowerError(z.object({ t: z.tuple([z.string()], z.number()) }))).toMatch(
      /at #\/properties\/t: a tuple with rest items/,
    );
    expect(lowerError(z.object({ n: z.never() }))).toMatch(
      /at #\/properties\/n: unsupported JSON Schema keyword "not"/,
    );
  });

  it('two methods with one Python name', () => {
    expect(() =>
      lower(
        defineContract('demo', {
          getUser: defineNotification({ params: z.object({}) }),
          'get-user': defineNotification({ params: z.object({}) }),
        }),
      ),
    ).toThrow('demo: methods "get-user" and "getUser" have the same Python name (get_user / GetUser)');
  });
});
