/**
 * @module
 * A service's contract, written once in TypeScript with zod: its name and its
 * methods, each a call (params and a result) or a notification (params, no reply).
 * The same shape a clamator contract has (`{ service, methods }`), so one contract
 * module serves this package's runtime, its Python codegen, and clamator's.
 */

import type { z } from 'zod';

/** A service's name on the wire: `^[a-z][a-z0-9-]*$` (its command stream is `cmds:<service>`). */
export const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;
/** A method's name on the wire: `^[a-z][a-zA-Z0-9-]*$` (called as `<service>.<method>`). */
export const METHOD_NAME = /^[a-z][a-zA-Z0-9-]*$/;

/** A method that answers: its params and its result, each a zod schema (clamator's `MethodDef`). */
export interface MethodDefinition<Params extends z.ZodType = z.ZodType, Result extends z.ZodType = z.ZodType> {
  readonly params: Params;
  readonly result: Result;
  readonly notification?: false;
}

/** A notification: params, no reply (clamator's `NotificationDef`). */
export interface NotificationDefinition<Params extends z.ZodType = z.ZodType> {
  readonly params: Params;
  readonly notification: true;
}

export type Definition = MethodDefinition | NotificationDefinition;

/** A service's contract: `service` and `methods`, as clamator's. */
export interface Contract<
  Service extends string = string,
  Methods extends Readonly<Record<string, Definition>> = Readonly<Record<string, Definition>>,
> {
  readonly service: Service;
  readonly methods: Methods;
}

/** Whether a definition is a notification. */
export function isNotification(definition: Definition): definition is NotificationDefinition {
  return definition.notification === true;
}

/**
 * A method that answers.
 *
 * @example
 * const add = defineMethod({ params: z.object({ a: z.number(), b: z.number() }), result: z.object({ sum: z.number() }) });
 */
export function defineMethod<const Params extends z.ZodType, const Result extends z.ZodType>(definition: {
  params: Params;
  result: Result;
}): MethodDefinition<Params, Result> {
  return { params: definition.params, result: definition.result };
}

/** A notification: stored, handled at least once, never answered. */
export function defineNotification<const Params extends z.ZodType>(definition: {
  params: Params;
}): NotificationDefinition<Params> {
  return { params: definition.params, notification: true };
}

function isSchema(value: unknown): boolean {
  return typeof (value as { safeParse?: unknown } | null)?.safeParse === 'function';
}

/**
 * A service's contract. Names and shapes are checked at once (a wrong one throws
 * `TypeError`): the service `^[a-z][a-z0-9-]*$`, each method `^[a-z][a-zA-Z0-9-]*$`,
 * a method with params and a result, a notification with params and no result.
 *
 * @example
 * export const arith = defineContract('arith', {
 *   add: defineMethod({ params: z.object({ a: z.number(), b: z.number() }), result: z.object({ sum: z.number() }) }),
 *   ping: defineNotification({ params: z.object({ tag: z.string().optional() }) }),
 * });
 */
export function defineContract<
  const Service extends string,
  const Methods extends Readonly<Record<string, Definition>>,
>(service: Service, methods: Methods): Contract<Service, Methods> {
  if (typeof service !== 'string' || !SERVICE_NAME.test(service)) {
    throw new TypeError(`a service name must match ${SERVICE_NAME}, got ${JSON.stringify(service)}`);
  }
  for (const [name, definition] of Object.entries(methods)) {
    if (!METHOD_NAME.test(name)) {
      throw new TypeError(`${service}: a method name must match ${METHOD_NAME}, got ${JSON.stringify(name)}`);
    }
    if (!isSchema(definition?.params)) throw new TypeError(`${service}.${name}: params must be a zod schema`);
    const hasResult = 'result' in definition && definition.result !== undefined;
    if (isNotification(definition) ? hasResult : !isSchema((definition as MethodDefinition).result)) {
      throw new TypeError(
        isNotification(definition)
          ? `${service}.${name}: a notification has no result`
          : `${service}.${name}: a method needs a result schema (or defineNotification)`,
      );
    }
  }
  return { service, methods };
}

/** Whether a value is shaped as a contract (what the codegen looks for among a module's exports). */
export function isContract(value: unknown): value is Contract {
  if (typeof value !== 'object' || value === null) return false;
  const { service, methods } = value as Partial<Contract>;
  return typeof service === 'string' && typeof methods === 'object' && methods !== null;
}

/** The params a method or notification takes (its schema's input). */
export type ParamsOf<D extends Definition> = z.input<D['params']>;
/** The result a method gives (its schema's output). */
export type ResultOf<D extends Definition> = D extends NotificationDefinition
  ? undefined
  : z.output<(D & MethodDefinition)['result']>;
