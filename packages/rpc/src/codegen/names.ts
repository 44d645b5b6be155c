/**
 * @module
 * Names in generated code: Pascal and snake case, Python identifiers that are not
 * keywords and do not shadow what a Pydantic model or the module already has, and
 * an allocator that keeps class names unique within one module.
 */

const PYTHON_KEYWORDS = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

// A field named like a type the module's annotations use would shadow it (the
// annotations are evaluated in the class body), and one named like a BaseModel
// method shadows that method (Pydantic warns or refuses).
const SHADOWING_FIELD_NAMES = new Set([
  'str',
  'int',
  'float',
  'bool',
  'list',
  'dict',
  'tuple',
  'construct',
  'copy',
  'from_orm',
  'json',
  'parse_file',
  'parse_obj',
  'parse_raw',
  'schema',
  'schema_json',
  'update_forward_refs',
  'validate',
]);

/** The words of a name: split at anything but letters and digits. */
function words(name: string): string[] {
  return name.split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0);
}

/** `echoText` → `EchoText`, `order-svc` → `OrderSvc` (inner capitals kept). */
export function pascalCase(name: string): string {
  return words(name)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** `orderId` → `order_id`, `userID` → `user_id`, `HTTPServer` → `http_server`, `get-user` → `get_user`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/** A wire name as a Python identifier: snake_case, never empty, a keyword or a leading digit. */
export function pythonName(name: string): string {
  let snake = snakeCase(name);
  if (snake === '') snake = 'field';
  if (/^[0-9]/.test(snake)) snake = `field_${snake}`;
  return PYTHON_KEYWORDS.has(snake) ? `${snake}_` : snake;
}

/** A Pydantic field's Python name: `pythonName`, and never one that shadows a type or a BaseModel attribute. */
export function pythonFieldName(name: string): string {
  const candidate = pythonName(name);
  return SHADOWING_FIELD_NAMES.has(candidate) || candidate.startsWith('model_') ? `${candidate}_` : candidate;
}

/** Hands out names unique within one module: a taken name gets a number (`Line`, `Line2`, …). */
export class NameAllocator {
  readonly #taken = new Set<string>();

  /** Marks names as taken (the module's fixed names), so `take` never returns them. */
  reserve(...names: string[]): void {
    for (const name of names) this.#taken.add(name);
  }

  has(name: string): boolean {
    return this.#taken.has(name);
  }

  /** `base` if free, else `base2`, `base3`…; the name returned is taken from then on. */
  take(base: string): string {
    let name = base;
    for (let n = 2; this.#taken.has(name); n += 1) name = `${base}${n}`;
    this.#taken.add(name);
    return name;
  }
}
