/**
 * @module
 * The codegen's intermediate representation: a contract's methods, and the models
 * and types their JSON Schemas lower to. Small on purpose: it holds exactly what
 * the Python (and TypeScript) emitters need, already named and ordered.
 */

import type { JsonSchema } from './json-schema.js';

/** A JSON value a literal or a default can be. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Bounds carried over to Pydantic's `Field(...)`, by its keyword names. */
export interface Constraints {
  readonly ge?: number;
  readonly gt?: number;
  readonly le?: number;
  readonly lt?: number;
  readonly multiple_of?: number;
  readonly min_length?: number;
  readonly max_length?: number;
}

export type IrType =
  | { readonly kind: 'string' | 'integer' | 'number'; readonly constraints?: Constraints }
  | { readonly kind: 'boolean' | 'null' | 'any' }
  | { readonly kind: 'literal'; readonly values: readonly (string | number | boolean | null)[] }
  | { readonly kind: 'list'; readonly items: IrType; readonly constraints?: Constraints }
  | { readonly kind: 'tuple'; readonly items: readonly IrType[] }
  | { readonly kind: 'record'; readonly keys: IrType; readonly values: IrType }
  | { readonly kind: 'model'; readonly name: string }
  | { readonly kind: 'union'; readonly members: readonly IrType[] };

export interface IrField {
  /** The name on the wire (the contract's). */
  readonly wireName: string;
  /** The Python attribute: snake_case, aliased to `wireName` when they differ. */
  readonly pythonName: string;
  readonly type: IrType;
  readonly required: boolean;
  /** The schema's default, when it has one (only on fields that are not required). */
  readonly default?: JsonValue;
}

/** A named Python class: an object's fields, or a `RootModel` around another type. */
export type IrModel =
  | {
      readonly kind: 'object';
      readonly name: string;
      readonly fields: readonly IrField[];
      /** `allow` for a loose object (zod's `looseObject`), `forbid` otherwise. */
      readonly extra: 'forbid' | 'allow';
    }
  | { readonly kind: 'root'; readonly name: string; readonly type: IrType };

export interface IrMethod {
  /** The method's name in the contract and on the wire (`echoText`). */
  readonly name: string;
  /** Its Python method and handler attribute (`echo_text`). */
  readonly pythonName: string;
  readonly notification: boolean;
  readonly params: { readonly model: string; readonly schema: JsonSchema };
  /** `null` for a notification. */
  readonly result: { readonly model: string; readonly schema: JsonSchema } | null;
}

export interface IrContract {
  readonly service: string;
  /** The module's export that holds the contract (`arithContract`). */
  readonly exportName: string;
  /** The contract module, relative to `--src` (`arith.ts`). */
  readonly sourceName: string;
  /** Methods sorted by name. */
  readonly methods: readonly IrMethod[];
  /** Every model, each after the models it uses. */
  readonly models: readonly IrModel[];
}
