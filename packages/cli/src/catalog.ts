/**
 * @module
 * `publish --catalog <module>`: the application's own event catalog (the zod
 * schemas its HTTP routes check events with, `defineCatalog`), loaded from a
 * module, so an event published from the shell passes the checks an event from
 * the application would.
 */

import type { EventCatalog } from '@replayrail/core/schema';
import { importAppModule } from './app-module.js';
import { UsageError } from './parse.js';

function isCatalog(value: unknown): value is EventCatalog {
  if (typeof value !== 'object' || value === null) return false;
  const schemas = Object.values(value);
  return (
    schemas.length > 0 &&
    schemas.every((schema) => typeof (schema as { safeParse?: unknown } | null)?.safeParse === 'function')
  );
}

/**
 * The catalog a module exports as `catalog` (or as its default export). A path
 * (`./dist/catalog.js`) is read from the working directory; anything else is
 * imported as a package would be.
 */
export async function loadCatalog(specifier: string, cwd = process.cwd()): Promise<EventCatalog> {
  const module = await importAppModule(specifier, '--catalog', cwd);
  const catalog = module.catalog ?? module.default;
  if (!isCatalog(catalog)) {
    throw new UsageError(
      `--catalog ${specifier} must export its event catalog as \`catalog\` or as its default export: event type → zod schema`,
    );
  }
  return catalog;
}
