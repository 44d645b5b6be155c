/**
 * @module
 * A module of the application's, loaded for an option that takes one (`--catalog`,
 * `--config`): so the CLI checks and keys events with the application's own code,
 * not a copy of it that could drift.
 */

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from './parse.js';

/**
 * The exports of the module `specifier` names. A path (`./dist/catalog.js`, or a
 * file that exists under the working directory, named without `./`) is read from
 * the working directory; anything else is imported as a package would be.
 * A module that cannot be loaded is a usage error naming `option`.
 */
export async function importAppModule(
  specifier: string,
  option: string,
  cwd = process.cwd(),
): Promise<Record<string, unknown>> {
  // A file named without `./` is still the file a reader means, not a package.
  const isPath = specifier.startsWith('.') || isAbsolute(specifier) || existsSync(resolve(cwd, specifier));
  const url = isPath ? pathToFileURL(resolve(cwd, specifier)).href : specifier;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${option} ${specifier} cannot be loaded: ${(error as Error).message}`);
  }
}
