/**
 * @module
 * Lets Node import contract modules written as TypeScript sources: Node 24 strips
 * their types itself, but leaves their imports as written, and TypeScript code
 * imports a sibling module `contract.ts` by the name `contract.js`. This resolve
 * hook tries the `.ts` name (`.mts` for `.mjs`) when a relative `.js` import finds
 * no file.
 */

import { registerHooks } from 'node:module';

let registered = false;

/** Registers the hook once per process; later calls do nothing. */
export function allowTypeScriptImports(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        const notFound = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
        if (!notFound || !/^\.{1,2}\//.test(specifier) || !/\.m?js$/.test(specifier)) throw error;
        return nextResolve(specifier.replace(/js$/, 'ts'), context);
      }
    },
  });
}
