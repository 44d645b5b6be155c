/**
 * @module
 * A typed event catalog: event type → zod schema of its payload, written once by an
 * application and checked wherever events enter (the Hono adapter's publish route,
 * the CLI's `publish --catalog`). A type the catalog does not list, or a payload its
 * schema refuses, is an `InvalidRequestError` naming the field; the catalog's types
 * flow to `beforePublish` and to `CatalogEvent` for clients.
 */

import type { z } from 'zod';
import { InvalidRequestError } from './errors.js';
import type { StoredEvent } from './types.js';

/** The first problem zod found, as `field: what is wrong`. */
export function describeIssue(error: z.ZodError, root = ''): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid body';
  const path = [root, ...issue.path.map(String)].filter((part) => part !== '').join('.');
  const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
  return `${path === '' ? 'body' : path}: ${issue.message}${keys}`;
}

/** Event type → zod schema of its payload (an object schema). */
export type EventCatalog = Readonly<Record<string, z.ZodType<Record<string, unknown>>>>;

/** The events a catalog allows, as a union discriminated by `type`. */
export type CatalogEvent<Catalog extends EventCatalog> = {
  [Type in keyof Catalog & string]: {
    type: Type;
    payload: z.output<Catalog[Type]>;
    actor: Record<string, unknown> | null;
    metadata: Record<string, unknown>;
  };
}[keyof Catalog & string];

/** A stored event of the catalog: its envelope with the payload typed by its `type`. */
export type CatalogStoredEvent<Catalog extends EventCatalog> = Omit<StoredEvent, 'type' | 'payload'> &
  CatalogEvent<Catalog>;

/**
 * Declares a catalog, keeping each type's schema for inference.
 *
 * @example
 * const catalog = defineCatalog({
 *   'order.created': z.object({ order_id: z.string() }),
 * });
 */
export function defineCatalog<const Catalog extends EventCatalog>(catalog: Catalog): Catalog {
  return catalog;
}

/**
 * The payload as the catalog's schema outputs it (defaults applied, unknown keys
 * stripped as the schema says), or `InvalidRequestError` naming the field.
 */
export function checkAgainstCatalog(
  catalog: EventCatalog,
  type: string,
  payload: Record<string, unknown>,
): Record<string, unknown> {
  const schema = Object.hasOwn(catalog, type) ? catalog[type] : undefined;
  if (schema === undefined) {
    throw new InvalidRequestError(`type: ${JSON.stringify(type)} is not in the event catalog`, {
      context: { field: 'type' },
    });
  }
  const result = schema.safeParse(payload);
  if (!result.success) {
    throw new InvalidRequestError(describeIssue(result.error, 'payload'), {
      context: { field: ['payload', ...(result.error.issues[0]?.path ?? [])].join('.') },
    });
  }
  return result.data;
}
