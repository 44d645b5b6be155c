/**
 * @module
 * The whole codegen, in memory: contracts loaded, lowered, and each output file's
 * path and text (Python modules, TypeScript modules, the manifest). Nothing is
 * written here, so `--check` and a write share one result.
 */

import { join, resolve } from 'node:path';
import { emitPython, pythonModuleName } from './emit-python.js';
import { emitTypeScript, typescriptModuleName } from './emit-typescript.js';
import { CodegenError } from './errors.js';
import type { IrContract } from './ir.js';
import { loadContracts } from './load.js';
import { lowerContract } from './lower.js';
import { manifestText } from './manifest.js';

export interface CodegenOptions {
  /** A contract module, or a folder of them. */
  readonly src: string;
  /** Where the Python modules go (`<service>.py`). */
  readonly outPy?: string;
  /** Where the TypeScript modules go (`<service>.ts`); needs `tsContractImport`. */
  readonly outTs?: string;
  /** How the TypeScript modules import the contract (`{file}` is the contract module's name). */
  readonly tsContractImport?: string;
  /** The manifest file to write. */
  readonly manifest?: string;
}

export interface GeneratedFile {
  /** Absolute. */
  readonly path: string;
  readonly content: string;
}

/** Each file the options ask for, in a fixed order, and the contracts' IR. */
export async function generate(options: CodegenOptions): Promise<{ files: GeneratedFile[]; contracts: IrContract[] }> {
  if (options.outPy === undefined && options.outTs === undefined && options.manifest === undefined) {
    throw new CodegenError('nothing to generate: give --out-py, --out-ts or --manifest');
  }
  if (options.outTs !== undefined && options.tsContractImport === undefined) {
    throw new CodegenError('--out-ts needs --ts-contract-import (how the generated modules import the contract)');
  }
  const contracts = (await loadContracts(options.src)).map(lowerContract);
  const files: GeneratedFile[] = [];
  const { outPy, outTs, tsContractImport, manifest } = options;
  if (outPy !== undefined) {
    for (const contract of contracts) {
      files.push({ path: join(resolve(outPy), pythonModuleName(contract.service)), content: emitPython(contract) });
    }
  }
  if (outTs !== undefined && tsContractImport !== undefined) {
    for (const contract of contracts) {
      files.push({
        path: join(resolve(outTs), typescriptModuleName(contract.service)),
        content: emitTypeScript(contract, tsContractImport),
      });
    }
  }
  if (manifest !== undefined) files.push({ path: resolve(manifest), content: manifestText(contracts) });
  return { files, contracts };
}
