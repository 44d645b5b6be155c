/**
 * @module
 * The IR → one Python module per contract, in the shape clamator's Python runtime
 * takes: Pydantic v2 models, a typed `<Service>Client` over a `ClamatorClient`, a
 * `<Service>Service` ABC for handlers, `METHODS` and `<service>_contract`.
 * Deterministic: the same IR always gives the same text.
 */

import type { IrContract, IrField, IrMethod, IrModel, IrType, JsonValue } from './ir.js';
import { pascalCase, snakeCase } from './names.js';
import { GENERATED_MARKER } from './version.js';

/** The module's file name: the service in snake_case, so Python can import it (`order-svc` → `order_svc.py`). */
export function pythonModuleName(service: string): string {
  return `${snakeCase(service)}.py`;
}

/** A JSON value as a Python literal (`true` → `True`, objects as dicts). */
export function pythonLiteral(value: JsonValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  // JSON's string escapes and number forms are Python's too.
  if (typeof value === 'string' || typeof value === 'number') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(', ')}]`;
  const entries = Object.entries(value as { readonly [key: string]: JsonValue });
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${pythonLiteral(item)}`).join(', ')}}`;
}

/** The typing and pydantic names a module uses, collected while its types are written. */
class Imports {
  readonly typing = new Set<string>();
  readonly pydantic = new Set<string>();
}

function typeExpression(type: IrType, imports: Imports): string {
  let base: string;
  switch (type.kind) {
    case 'string':
      base = 'str';
      break;
    case 'integer':
      base = 'int';
      break;
    // A JSON number stays as it came: 5 an int, 5.5 a float (a bare `float` field
    // would turn a JavaScript 5 into 5.0 and write it back so).
    case 'number':
      base = 'int | float';
      break;
    case 'boolean':
      return 'bool';
    case 'null':
      return 'None';
    case 'any':
      imports.typing.add('Any');
      return 'Any';
    case 'literal':
      imports.typing.add('Literal');
      return `Literal[${type.values.map(pythonLiteral).join(', ')}]`;
    case 'list':
      base = `list[${typeExpression(type.items, imports)}]`;
      break;
    case 'tuple':
      return `tuple[${type.items.map((item) => typeExpression(item, imports)).join(', ')}]`;
    case 'record':
      return `dict[${typeExpression(type.keys, imports)}, ${typeExpression(type.values, imports)}]`;
    case 'model':
      return type.name;
    case 'union':
      return type.members.map((member) => typeExpression(member, imports)).join(' | ');
  }
  const constraints = Object.entries(type.constraints ?? {});
  if (constraints.length === 0) return base;
  imports.typing.add('Annotated');
  imports.pydantic.add('Field');
  return `Annotated[${base}, Field(${constraints.map(([key, value]) => `${key}=${value}`).join(', ')})]`;
}

function includesNone(type: IrType): boolean {
  return type.kind === 'null' || (type.kind === 'union' && type.members.some((member) => member.kind === 'null'));
}

function fieldLine(field: IrField, imports: Imports): string {
  let annotation = typeExpression(field.type, imports);
  let value: string | undefined;
  if (field.default !== undefined) value = pythonLiteral(field.default);
  else if (!field.required) {
    value = 'None';
    if (!includesNone(field.type) && field.type.kind !== 'any') annotation = `${annotation} | None`;
  }
  const aliased = field.pythonName !== field.wireName;
  if (!aliased) return `    ${field.pythonName}: ${annotation}${value === undefined ? '' : ` = ${value}`}`;
  imports.pydantic.add('Field');
  const alias = `alias=${JSON.stringify(field.wireName)}`;
  const args = value === undefined ? alias : `default=${value}, ${alias}`;
  return `    ${field.pythonName}: ${annotation} = Field(${args})`;
}

function modelClass(model: IrModel, imports: Imports): string {
  if (model.kind === 'root') {
    imports.pydantic.add('RootModel');
    const type = typeExpression(model.type, imports);
    return `class ${model.name}(RootModel[${type}]):\n    root: ${type}\n`;
  }
  imports.pydantic.add('BaseModel').add('ConfigDict');
  // populate_by_name: Python code may build a model with its snake_case names; the
  // wire (and model_validate of wire data) uses the aliases.
  const lines = [
    `class ${model.name}(BaseModel):`,
    `    model_config = ConfigDict(extra="${model.extra}", populate_by_name=True)`,
  ];
  if (model.fields.length > 0) lines.push('', ...model.fields.map((field) => fieldLine(field, imports)));
  return `${lines.join('\n')}\n`;
}

// Unset fields stay off the wire: zod's `.optional()` refuses the null a `None` would become.
const DUMP = 'params.model_dump(mode="json", by_alias=True, exclude_unset=True)';

function clientMethod(service: string, method: IrMethod): string {
  const params = `self, params: ${method.params.model}`;
  if (method.result === null) {
    return [
      `    async def ${method.pythonName}(${params}) -> None:`,
      `        await self._client.notify(${JSON.stringify(service)}, ${JSON.stringify(method.name)}, ${DUMP})`,
    ].join('\n');
  }
  return [
    `    async def ${method.pythonName}(${params}, *, timeout_ms: int | None = None) -> ${method.result.model}:`,
    '        raw = await self._client.call(',
    `            ${JSON.stringify(service)}, ${JSON.stringify(method.name)}, ${DUMP}, timeout_ms=timeout_ms`,
    '        )',
    `        return ${method.result.model}.model_validate(raw)`,
  ].join('\n');
}

function serviceMethod(method: IrMethod): string {
  const returns = method.result === null ? 'None' : method.result.model;
  return `    @abstractmethod\n    async def ${method.pythonName}(self, params: ${method.params.model}) -> ${returns}: ...`;
}

function methodEntry(method: IrMethod): string {
  const result = method.result === null ? 'None' : method.result.model;
  return `    ${JSON.stringify(method.name)}: MethodEntry(params_model=${method.params.model}, result_model=${result}, handler_attr=${JSON.stringify(method.pythonName)}),`;
}

/** The Python module of one contract. */
export function emitPython(contract: IrContract): string {
  const imports = new Imports();
  const models = contract.models.map((model) => modelClass(model, imports));
  const service = contract.service;
  const pascal = pascalCase(service);
  const quoted = JSON.stringify(service);
  const client = [
    `class ${pascal}Client:`,
    `    """Calls the ${service} service: one coroutine per method, through a ClamatorClient."""`,
    '',
    '    def __init__(self, client: ClamatorClient) -> None:',
    '        self._client = client',
    ...contract.methods.flatMap((method) => ['', clientMethod(service, method)]),
  ].join('\n');
  const handlers = [
    `class ${pascal}Service(ABC):`,
    `    """What a server of ${service} implements: one coroutine per method, named as in METHODS."""`,
    ...contract.methods.flatMap((method) => ['', serviceMethod(method)]),
  ].join('\n');
  const typing = [...imports.typing].sort();
  const pydantic = [...imports.pydantic].sort();
  const header = [
    `# ${GENERATED_MARKER} from ${contract.sourceName}: do not edit.`,
    '# Re-run `replayrail-rpc codegen` to update it.',
    'from __future__ import annotations',
    '',
    'from abc import ABC, abstractmethod',
    ...(typing.length > 0 ? [`from typing import ${typing.join(', ')}`] : []),
    '',
    'from clamator_protocol import ClamatorClient, Contract, MethodEntry',
    ...(pydantic.length > 0 ? [`from pydantic import ${pydantic.join(', ')}`] : []),
  ].join('\n');
  const methods = ['METHODS = {', ...contract.methods.map(methodEntry), '}'].join('\n');
  const declaration = `${snakeCase(service)}_contract = Contract(service=${quoted}, methods=METHODS)`;
  const blocks = [header, ...models, `${client}\n`, `${handlers}\n`, `${methods}\n\n${declaration}\n`];
  return blocks
    .map((block) => block.replace(/\n+$/, ''))
    .join('\n\n\n')
    .concat('\n');
}
