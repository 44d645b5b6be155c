/**
 * @module
 * `replayrail-rpc codegen`: its flags, and how an outcome becomes an exit code:
 * 0 done (or, with --check, all current), 1 out of date under --check (each file
 * named), 2 bad usage or bad input (one line on stderr saying what and where).
 */

import { realpathSync } from 'node:fs';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CodegenError } from './errors.js';
import { generate } from './generate.js';
import { type FileProblem, leftoverGenerated, staleGenerated, writeGenerated } from './output.js';
import { GENERATOR } from './version.js';

export const EXIT = {
  /** Generated, or under --check every file is current. */
  ok: 0,
  /** Under --check: a file is missing, differs, or is left from a contract that is gone. */
  stale: 1,
  /**
   * Bad arguments, bad input (no contracts, a module that fails to import, a schema
   * with no Python form), or any other failure (a file that cannot be written).
   */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Where the CLI prints: one call per line. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export const USAGE = `usage: replayrail-rpc codegen --src <module or folder> [--out-py <dir>]
         [--out-ts <dir> --ts-contract-import <specifier>] [--manifest <file>] [--check]

Generates code from the zod contracts that the modules under --src export:
  --out-py <dir>                  a Python module per contract: Pydantic v2 models, a typed
                                  client, a service ABC, METHODS and <service>_contract
  --out-ts <dir>                  a TypeScript module per contract: each method's types
  --ts-contract-import <spec>     how those import the contract ({file}: its module's name)
  --manifest <file>               JSON: the sha256 of each method's JSON Schema
  --check                         write nothing; name each file that is missing or out of date

Exit codes: 0 done (all current under --check), 1 out of date (--check), 2 bad usage, bad input
or any other failure.`;

/** A path as printed: relative to the working folder when under it, else absolute. */
function shown(path: string): string {
  const under = relative(process.cwd(), path);
  return under === '' || under.startsWith('..') ? path : under;
}

/** Runs `replayrail-rpc` with `argv` (no node or script path); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<ExitCode> {
  let parsed: ReturnType<typeof parseCodegenArgs>;
  try {
    parsed = parseCodegenArgs(argv);
  } catch (error) {
    io.err(`replayrail-rpc: ${(error as Error).message}`);
    io.err(USAGE);
    return EXIT.usage;
  }
  if (parsed === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  if (parsed === 'version') {
    io.out(GENERATOR.version);
    return EXIT.ok;
  }
  const { check, ...options } = parsed;
  try {
    const { files } = await generate(options);
    const leftovers: FileProblem[] = [
      ...(options.outPy === undefined ? [] : await leftoverGenerated(options.outPy, '.py', files)),
      ...(options.outTs === undefined ? [] : await leftoverGenerated(options.outTs, '.ts', files)),
    ];
    if (check) {
      const problems = [...(await staleGenerated(files)), ...leftovers];
      for (const { path, problem } of problems) io.err(`${problem}: ${shown(path)}`);
      if (problems.length > 0) {
        io.err(`replayrail-rpc: ${problems.length} generated file(s) out of date: re-run without --check`);
        return EXIT.stale;
      }
      io.out(`all ${files.length} generated file(s) are current`);
      return EXIT.ok;
    }
    const written = await writeGenerated(files);
    for (const path of written) io.out(`wrote ${shown(path)}`);
    for (const { path } of leftovers) io.err(`no longer generated (delete it?): ${shown(path)}`);
    io.out(`${written.length} file(s) written, ${files.length - written.length} unchanged`);
    return EXIT.ok;
  } catch (error) {
    // 1 means "out of date" only: any other failure (a file that cannot be written) is a 2 too.
    io.err(`replayrail-rpc: ${error instanceof Error ? error.message : String(error)}`);
    if (!(error instanceof CodegenError) && error instanceof Error && error.stack) io.err(error.stack);
    return EXIT.usage;
  }
}

function parseCodegenArgs(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      src: { type: 'string' },
      'out-py': { type: 'string' },
      'out-ts': { type: 'string' },
      'ts-contract-import': { type: 'string' },
      manifest: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help' as const;
  if (values.version) return 'version' as const;
  if (positionals.length !== 1 || positionals[0] !== 'codegen') {
    throw new Error(
      positionals.length === 0 ? 'a command is needed: codegen' : `unknown command: ${positionals.join(' ')}`,
    );
  }
  if (values.src === undefined) throw new Error('--src is needed');
  return {
    src: values.src,
    check: values.check,
    ...(values['out-py'] === undefined ? {} : { outPy: values['out-py'] }),
    ...(values['out-ts'] === undefined ? {} : { outTs: values['out-ts'] }),
    ...(values['ts-contract-import'] === undefined ? {} : { tsContractImport: values['ts-contract-import'] }),
    ...(values.manifest === undefined ? {} : { manifest: values.manifest }),
  };
}

function isProcessEntry(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

// Run when this module is the process's entry (`node dist/codegen/cli.js codegen …`);
// the `replayrail-rpc` launcher imports it and calls runCli itself. Exits at once:
// a contract module may have left something open (a timer, a connection).
if (isProcessEntry()) process.exit(await runCli(process.argv.slice(2)));
