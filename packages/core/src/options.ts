/**
 * @module
 * How every option is checked, by the rail's config, consumers, transports and
 * stores alike: one `ConfigError` shape, `invalid <owner> option: <field> <what is
 * wrong>, got <value>`, with the field in `context.field`. A default applies only
 * to a missing option (`undefined`); anything else must be valid.
 */

import { ConfigError } from './errors.js';

/** Whose options they are, as the message says it: `ReplayRailConfig`, `consume`, `transport`, `RedisStreamStore`, … */
export type OptionOwner = string;

/** The error for a bad option; with `value`, the message shows what was given. */
export function optionError(owner: OptionOwner, field: string, problem: string): ConfigError {
  return new ConfigError(`invalid ${owner} option: ${field} ${problem}`, { context: { field } });
}

/** The error for an option given a value it cannot take. */
export function badOption(owner: OptionOwner, field: string, problem: string, value: unknown): ConfigError {
  return optionError(owner, field, `${problem}, got ${shown(value)}`);
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

/** The range of an integer option. */
export interface IntegerRange {
  /** @default 1 */
  readonly min?: number;
  /** @default 2147483647 (the longest timer a JavaScript runtime keeps) */
  readonly max?: number;
}

/** An integer option within `range`, or `fallback` when it is missing. */
export function integerOption(
  owner: OptionOwner,
  field: string,
  value: unknown,
  fallback: number,
  range: IntegerRange = {},
): number {
  if (value === undefined) return fallback;
  const { min = 1, max = 2_147_483_647 } = range;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const problem =
      max < Number.MAX_SAFE_INTEGER
        ? `must be an integer from ${min} to ${max}`
        : min === 1
          ? 'must be a positive integer'
          : `must be an integer of at least ${min}`;
    throw badOption(owner, field, problem, value);
  }
  return value;
}

/** A boolean option, or `fallback` when it is missing. */
export function booleanOption(owner: OptionOwner, field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw badOption(owner, field, 'must be true or false', value);
  return value;
}

/** One of `choices`, or `fallback` when it is missing. */
export function choiceOption<Choice extends string>(
  owner: OptionOwner,
  field: string,
  value: unknown,
  choices: readonly Choice[],
  fallback: Choice,
): Choice {
  if (value === undefined) return fallback;
  if (!(choices as readonly unknown[]).includes(value)) {
    throw badOption(owner, field, `must be ${choices.map((choice) => `'${choice}'`).join(' or ')}`, value);
  }
  return value as Choice;
}

/** A function option, or undefined when it is missing. */
export function functionOption<Fn extends (...args: never[]) => unknown>(
  owner: OptionOwner,
  field: string,
  value: unknown,
): Fn | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw badOption(owner, field, 'must be a function', value);
  return value as Fn;
}

/** Checks that `options` is an object with no field outside `fields` (a typo would leave a default in force). */
export function knownOptions(
  owner: OptionOwner,
  options: unknown,
  fields: readonly string[],
  path = '',
): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw badOption(owner, path === '' ? 'options' : path.slice(0, -1), 'must be an object', options);
  }
  for (const field of Object.keys(options)) {
    if (!fields.includes(field)) throw optionError(owner, `${path}${field}`, 'is not an option (a typo?)');
  }
}
