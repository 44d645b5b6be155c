/**
 * @module
 * A contract → the IR: each method's zod schemas become JSON Schema (zod's own
 * converter), then named models and types. What has no plain Pydantic form is
 * refused with the contract, the method and the JSON Schema path (`#/properties/…`),
 * never dropped or guessed at.
 */

import type { Contract, Definition } from '../contract.js';
import { isNotification } from '../contract.js';
import { CodegenError } from './errors.js';
import type { Constraints, IrContract, IrField, IrMethod, IrModel, IrType, JsonValue } from './ir.js';
import { type JsonSchema, toJsonSchema } from './json-schema.js';
import { NameAllocator, pascalCase, pythonFieldName, pythonName } from './names.js';

/** A contract as the loader found it: which module, under which export. */
export interface SourcedContract {
  readonly contract: Contract;
  readonly exportName: string;
  /** The module's path relative to `--src` (`arith.ts`), as the generated headers name it. */
  readonly sourceName: string;
}

// Keywords that say something about a value without changing its Python type.
// `format` and `pattern` are checked by the TypeScript side only (zod's regular
// expressions are JavaScript's, which Python's engines do not all accept).
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'format',
  'pattern',
  'contentEncoding',
  'contentMediaType',
]);

const HANDLED = new Set([
  'type',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'prefixItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  '$ref',
  '$defs',
]);

// What a refused keyword usually comes from in zod, to say in the error.
const REFUSED_BECAUSE: Readonly<Record<string, string>> = {
  allOf: 'an intersection zod could not merge into one object',
  not: 'z.never() or a negation',
  if: 'a conditional schema',
  patternProperties: 'a record keyed by a pattern',
  uniqueItems: 'a set',
};

// zod writes JavaScript's safe-integer range on every integer; Python's ints need no such bound.
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);

const ANY: IrType = { kind: 'any' };

type SchemaObject = { readonly [keyword: string]: unknown };

/** Where lowering is: the method and side it serves, the names and models so far. */
interface Scope {
  readonly where: string;
  readonly root: JsonSchema;
  readonly names: NameAllocator;
  readonly models: IrModel[];
  readonly refs: Map<string, IrType>;
  readonly resolving: Set<string>;
}

function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(scope: Scope, pointer: string, message: string): never {
  throw new CodegenError(`${scope.where} at #${pointer}: ${message}`);
}

/** A JSON Pointer segment: `~` and `/` escaped. */
function segment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isNullSchema(schema: unknown): boolean {
  return isSchemaObject(schema) && schema.type === 'null';
}

/** A union, flattened: `any` swallows it, `null` comes once and last, one member is that member. */
function union(members: readonly IrType[]): IrType {
  const flat = members.flatMap((member) => (member.kind === 'union' ? member.members : [member]));
  if (flat.some((member) => member.kind === 'any')) return ANY;
  const nonNull = flat.filter((member) => member.kind !== 'null');
  const all = flat.length > nonNull.length ? [...nonNull, { kind: 'null' } as const] : nonNull;
  return all.length === 1 ? (all[0] as IrType) : { kind: 'union', members: all };
}

function numericConstraints(schema: SchemaObject, integer: boolean): Constraints | undefined {
  const constraints: Record<string, number> = {};
  const bound = (keyword: string, name: keyof Constraints) => {
    const value = schema[keyword];
    if (typeof value === 'number' && !(integer && SAFE_INTEGER_BOUNDS.has(value))) constraints[name] = value;
  };
  bound('minimum', 'ge');
  bound('exclusiveMinimum', 'gt');
  bound('maximum', 'le');
  bound('exclusiveMaximum', 'lt');
  bound('multipleOf', 'multiple_of');
  return Object.keys(constraints).length > 0 ? constraints : undefined;
}

function lengthConstraints(schema: SchemaObject, min: string, max: string): Constraints | undefined {
  const constraints: { min_length?: number; max_length?: number } = {};
  if (typeof schema[min] === 'number') constraints.min_length = schema[min] as number;
  if (typeof schema[max] === 'number') constraints.max_length = schema[max] as number;
  return Object.keys(constraints).length > 0 ? constraints : undefined;
}

function withConstraints<T extends IrType>(type: T, constraints: Constraints | undefined): T {
  return constraints === undefined ? type : { ...type, constraints };
}

function literal(values: readonly unknown[], pointer: string, scope: Scope): IrType {
  if (values.length === 0) fail(scope, pointer, 'an empty enum has no Literal form');
  for (const value of values) {
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      fail(scope, pointer, `an enum or literal of objects or arrays has no Literal form: ${JSON.stringify(value)}`);
    }
  }
  const nonNull = values.filter((value) => value !== null) as (string | number | boolean)[];
  const type: IrType = { kind: 'literal', values: nonNull };
  if (nonNull.length === values.length) return type;
  return nonNull.length === 0 ? { kind: 'null' } : union([type, { kind: 'null' }]);
}

/**
 * One JSON Schema → an IR type. `name` is what a model it needs would be called;
 * `exactName` says that name is already reserved for it (a method's params or result).
 */
function lowerType(schema: unknown, name: string, pointer: string, scope: Scope, exactName = false): IrType {
  if (schema === true) return ANY;
  if (schema === false) fail(scope, pointer, 'a schema that accepts nothing (z.never()) has no Python type');
  if (!isSchemaObject(schema)) fail(scope, pointer, `not a JSON Schema: ${JSON.stringify(schema)}`);
  for (const keyword of Object.keys(schema)) {
    if (!ANNOTATIONS.has(keyword) && !HANDLED.has(keyword)) {
      const because = REFUSED_BECAUSE[keyword];
      fail(scope, pointer, `unsupported JSON Schema keyword "${keyword}"${because ? ` (${because})` : ''}`);
    }
  }
  if (schema.$ref !== undefined) return lowerRef(schema, name, pointer, scope);
  const options = schema.anyOf ?? schema.oneOf;
  if (options !== undefined) {
    if (!Array.isArray(options)) fail(scope, pointer, 'anyOf/oneOf must be an array');
    const key = schema.anyOf !== undefined ? 'anyOf' : 'oneOf';
    const named = options.filter((option) => !isNullSchema(option)).length > 1;
    let index = 0;
    return union(
      options.map((option, at) =>
        lowerType(
          option,
          isNullSchema(option) ? name : named ? `${name}${++index}` : name,
          `${pointer}/${key}/${at}`,
          scope,
        ),
      ),
    );
  }
  if ('const' in schema) return literal([schema.const], pointer, scope);
  if (schema.enum !== undefined) {
    if (!Array.isArray(schema.enum)) fail(scope, pointer, 'enum must be an array');
    return literal(schema.enum, pointer, scope);
  }
  const { type } = schema;
  if (Array.isArray(type)) {
    const named = type.filter((member) => member !== 'null').length > 1;
    return union(
      type.map((member) =>
        lowerType({ ...schema, type: member }, named ? `${name}${pascalCase(String(member))}` : name, pointer, scope),
      ),
    );
  }
  switch (type) {
    case 'string':
      return withConstraints({ kind: 'string' }, lengthConstraints(schema, 'minLength', 'maxLength'));
    case 'integer':
      return withConstraints({ kind: 'integer' }, numericConstraints(schema, true));
    case 'number':
      return withConstraints({ kind: 'number' }, numericConstraints(schema, false));
    case 'boolean':
      return { kind: 'boolean' };
    case 'null':
      return { kind: 'null' };
    case 'array':
      return lowerArray(schema, name, pointer, scope);
    case 'object':
      return lowerObject(schema, name, pointer, scope, exactName);
    case undefined:
      if (Object.keys(schema).every((keyword) => ANNOTATIONS.has(keyword) || keyword === '$defs')) return ANY;
      return fail(scope, pointer, 'a schema without a "type" is not supported');
    default:
      return fail(scope, pointer, `unknown type ${JSON.stringify(type)}`);
  }
}

function lowerRef(schema: SchemaObject, name: string, pointer: string, scope: Scope): IrType {
  const ref = String(schema.$ref);
  if (ref === '#' || scope.resolving.has(ref)) {
    fail(
      scope,
      pointer,
      `a recursive schema ($ref "${ref}": z.lazy or a getter that refers to itself) is not supported`,
    );
  }
  const known = scope.refs.get(ref);
  if (known !== undefined) return known;
  const match = /^#\/\$defs\/(.+)$/.exec(ref);
  const defs = isSchemaObject(scope.root) ? scope.root.$defs : undefined;
  const defName = match
    ? decodeURIComponent(match[1] as string)
        .replace(/~1/g, '/')
        .replace(/~0/g, '~')
    : '';
  if (!isSchemaObject(defs) || !(defName in defs)) fail(scope, pointer, `cannot resolve $ref "${ref}"`);
  scope.resolving.add(ref);
  // A schema zod lifted into $defs (one with `.meta({ id })`) keeps its id as its model's name.
  const type = lowerType(defs[defName], pascalCase(defName) || name, `/$defs/${segment(defName)}`, scope);
  scope.resolving.delete(ref);
  scope.refs.set(ref, type);
  return type;
}

function lowerArray(schema: SchemaObject, name: string, pointer: string, scope: Scope): IrType {
  if (schema.prefixItems !== undefined) {
    if (!Array.isArray(schema.prefixItems)) fail(scope, pointer, 'prefixItems must be an array');
    if (schema.items !== undefined && schema.items !== false) {
      fail(scope, pointer, 'a tuple with rest items (z.tuple([...], rest)) has no fixed Python form');
    }
    return {
      kind: 'tuple',
      items: schema.prefixItems.map((item, at) =>
        lowerType(item, `${name}Item${at + 1}`, `${pointer}/prefixItems/${at}`, scope),
      ),
    };
  }
  const items =
    schema.items === undefined || schema.items === true
      ? ANY
      : lowerType(schema.items, `${name}Item`, `${pointer}/items`, scope);
  return withConstraints({ kind: 'list', items }, lengthConstraints(schema, 'minItems', 'maxItems'));
}

function lowerObject(schema: SchemaObject, name: string, pointer: string, scope: Scope, exactName: boolean): IrType {
  const { properties, additionalProperties: additional, propertyNames } = schema;
  const loose = additional === true || (isSchemaObject(additional) && Object.keys(additional).length === 0);
  if (properties === undefined && additional !== false) {
    // No named fields: a record (z.record), keyed by strings or by an enum's values.
    const keys =
      propertyNames === undefined
        ? ({ kind: 'string' } as const)
        : lowerType(propertyNames, `${name}Key`, `${pointer}/propertyNames`, scope);
    if (
      keys.kind !== 'string' &&
      !(keys.kind === 'literal' && keys.values.every((value) => typeof value === 'string'))
    ) {
      fail(scope, `${pointer}/propertyNames`, 'record keys must be strings or string literals');
    }
    const values =
      additional === undefined || loose
        ? ANY
        : lowerType(additional, `${name}Value`, `${pointer}/additionalProperties`, scope);
    return { kind: 'record', keys, values };
  }
  if (properties !== undefined && !isSchemaObject(properties)) fail(scope, pointer, 'properties must be an object');
  if (propertyNames !== undefined)
    fail(scope, pointer, 'an object with both properties and propertyNames is not supported');
  if (additional !== undefined && additional !== false && !loose) {
    fail(
      scope,
      `${pointer}/additionalProperties`,
      'an object with fields and a catchall schema (.catchall()) has no Pydantic form',
    );
  }
  const modelName = exactName ? name : scope.names.take(name);
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const taken = new Set<string>();
  const fields: IrField[] = Object.entries(properties ?? {}).map(([wireName, property]) => {
    const type = lowerType(
      property,
      `${modelName}${pascalCase(wireName) || 'Field'}`,
      `${pointer}/properties/${segment(wireName)}`,
      scope,
    );
    let fieldName = pythonFieldName(wireName);
    for (let n = 2; taken.has(fieldName); n += 1) fieldName = `${pythonFieldName(wireName)}_${n}`;
    taken.add(fieldName);
    const field = {
      wireName,
      pythonName: fieldName,
      type,
      // zod marks a z.any() or z.unknown() field required, yet it takes a missing key.
      required: required.has(wireName) && type.kind !== 'any',
    };
    return isSchemaObject(property) && property.default !== undefined
      ? { ...field, required: false, default: property.default as JsonValue }
      : field;
  });
  scope.models.push({ kind: 'object', name: modelName, fields, extra: loose ? 'allow' : 'forbid' });
  return { kind: 'model', name: modelName };
}

/** A method's params or result: a model named `name`, a `RootModel` when the schema is no object. */
function lowerTop(schema: JsonSchema, name: string, where: string, names: NameAllocator, models: IrModel[]): void {
  const scope: Scope = { where, root: schema, names, models, refs: new Map(), resolving: new Set() };
  const type = lowerType(schema, name, '', scope, true);
  if (!(type.kind === 'model' && type.name === name)) models.push({ kind: 'root', name, type });
}

/** The IR of one contract: its methods sorted by name, their models each after the models it uses. */
export function lowerContract({ contract, exportName, sourceName }: SourcedContract): IrContract {
  const service = contract.service;
  const entries = Object.entries(contract.methods as Record<string, Definition>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const names = new NameAllocator();
  const servicePascal = pascalCase(service);
  // The module's own names, so no model takes one of them.
  names.reserve(
    ...['BaseModel', 'ConfigDict', 'Field', 'RootModel', 'Annotated', 'Any', 'Literal', 'ABC', 'abstractmethod'],
    ...['ClamatorClient', 'Contract', 'MethodEntry', 'METHODS', `${servicePascal}Client`, `${servicePascal}Service`],
  );
  const pythonNames = new Map<string, string>();
  for (const [method, definition] of entries) {
    const pascal = pascalCase(method);
    const pyName = pythonName(method);
    const clash = pythonNames.get(pyName) ?? pythonNames.get(pascal);
    if (clash !== undefined) {
      throw new CodegenError(
        `${service}: methods "${clash}" and "${method}" have the same Python name (${pyName} / ${pascal})`,
      );
    }
    pythonNames.set(pyName, method).set(pascal, method);
    names.reserve(`${pascal}Params`, ...(isNotification(definition) ? [] : [`${pascal}Result`]));
  }
  const models: IrModel[] = [];
  const methods: IrMethod[] = entries.map(([method, definition]) => {
    const pascal = pascalCase(method);
    const paramsSchema = toJsonSchema(definition.params, 'input', `${service}.${method} params`);
    lowerTop(paramsSchema, `${pascal}Params`, `${service}.${method} params`, names, models);
    let result: IrMethod['result'] = null;
    if (!isNotification(definition)) {
      const resultSchema = toJsonSchema(definition.result, 'output', `${service}.${method} result`);
      lowerTop(resultSchema, `${pascal}Result`, `${service}.${method} result`, names, models);
      result = { model: `${pascal}Result`, schema: resultSchema };
    }
    return {
      name: method,
      pythonName: pythonName(method),
      notification: result === null,
      params: { model: `${pascal}Params`, schema: paramsSchema },
      result,
    };
  });
  return { service, exportName, sourceName, methods, models };
}
