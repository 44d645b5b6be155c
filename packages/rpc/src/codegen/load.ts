/**
 * @module
 * Finds the contracts under `--src`: imports every `.ts`/`.mts`/`.js`/`.mjs` module
 * there (a folder is walked, tests, declaration files and node_modules skipped) and
 * keeps each export shaped as a contract, sorted by service, then module.
 */

import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isContract } from '../contract.js';
import { CodegenError } from './errors.js';
import type { SourcedContract } from './lower.js';
import { allowTypeScriptImports } from './typescript-imports.js';

const MODULE = /\.(ts|mts|js|mjs)$/;
const SKIPPED = /\.d\.m?ts$|\.(test|spec)\.m?[jt]s$/;

async function moduleFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await moduleFiles(path)));
    else if (MODULE.test(entry.name) && !SKIPPED.test(entry.name)) files.push(path);
  }
  return files;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The contracts exported by the modules at `src` (a module, or a folder of them). */
export async function loadContracts(src: string): Promise<SourcedContract[]> {
  const root = resolve(src);
  const info = await stat(root).catch(() => null);
  if (info === null) throw new CodegenError(`--src ${src}: no such file or folder`);
  const files = info.isDirectory() ? (await moduleFiles(root)).sort(compare) : [root];
  // Headers name a module relative to --src, with forward slashes, whatever the machine.
  const nameOf = (file: string) => (info.isDirectory() ? relative(root, file).split(sep).join('/') : basename(file));
  allowTypeScriptImports();
  const found: (SourcedContract & { readonly file: string })[] = [];
  const seen = new Set<unknown>();
  for (const file of files) {
    let exports: Record<string, unknown>;
    try {
      exports = await import(pathToFileURL(file).href);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CodegenError(`${nameOf(file)}: could not import it: ${reason}`);
    }
    for (const exportName of Object.keys(exports).sort(compare)) {
      const value = exports[exportName];
      // A contract re-exported elsewhere (an index module) is one contract.
      if (!isContract(value) || seen.has(value)) continue;
      seen.add(value);
      found.push({ contract: value, exportName, sourceName: nameOf(file), file });
    }
  }
  if (found.length === 0) {
    throw new CodegenError(`no contracts found under ${src} (${files.length} module(s) looked at)`);
  }
  found.sort((a, b) => compare(a.contract.service, b.contract.service) || compare(a.sourceName, b.sourceName));
  for (let at = 1; at < found.length; at += 1) {
    const [before, after] = [found[at - 1], found[at]] as [SourcedContract, SourcedContract];
    if (before.contract.service === after.contract.service) {
      throw new CodegenError(
        `two contracts for the service "${after.contract.service}": ${before.sourceName} (${before.exportName}) and ${after.sourceName} (${after.exportName})`,
      );
    }
  }
  return found.map(({ contract, exportName, sourceName }) => ({ contract, exportName, sourceName }));
}
