import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliIo, EXIT, runCli } from './cli.js';

const PACKAGE = join(import.meta.dirname, '..', '..');
const ARITH = join(PACKAGE, 'src', 'test-support', 'contracts', 'arith.ts');
const BIN = join(PACKAGE, 'bin', 'replayrail-rpc.js');
const BUILT = join(PACKAGE, 'dist', 'codegen', 'cli.js');

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** A temporary folder; `modules` are written under its contracts/, which can import zod. */
async function workspace(modules: Record<string, string> = {}): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'replayrail-codegen-'));
  folders.push(folder);
  await mkdir(join(folder, 'node_modules'));
  await symlink(join(PACKAGE, 'node_modules', 'zod'), join(folder, 'node_modules', 'zod'));
  for (const [name, text] of Object.entries(modules)) {
    const path = join(folder, 'contracts', name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return folder;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// A contract module as a user writes one in plain JavaScript (`isContract` is structural).
function contractModule(service: string, exportName: string, params = 'z.object({ amountCents: z.int() })'): string {
  return [
    "import { z } from 'zod';",
    `export const ${exportName} = { service: '${service}', methods: {`,
    `  charge: { params: ${params}, result: z.object({ ok: z.boolean() }) },`,
    '} };',
  ].join('\n');
}

describe('replayrail-rpc codegen', () => {
  it('writes the Python and TypeScript modules and the manifest, then leaves them when current', async () => {
    const folder = await workspace();
    const args = [
      'codegen',
      '--src',
      ARITH,
      '--out-py',
      join(folder, 'py'),
      '--manifest',
      join(folder, 'manifest.json'),
    ];
    const tsArgs = ['--out-ts', join(folder, 'ts'), '--ts-contract-import', '../contracts/{file}.js'];
    const first = await run(...args, ...tsArgs);
    expect(first).toMatchObject({ code: EXIT.ok, err: '' });
    expect(first.out).toMatch(/wrote .*py\/arith\.py/);
    expect(first.out).toContain('3 file(s) written, 0 unchanged');
    expect(await readFile(join(folder, 'py', 'arith.py'), 'utf8')).toContain('class ArithClient:');
    expect(await readFile(join(folder, 'ts', 'arith.ts'), 'utf8')).toContain(
      "import type { arithContract } from '../contracts/arith.js';",
    );
    expect(JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8'))).toHaveProperty(
      'contracts.arith.methods.add',
    );
    const again = await run(...args, ...tsArgs);
    expect(again.out).toBe('0 file(s) written, 3 unchanged');
  });

  it('--check: 0 when current, 1 naming each stale, missing or leftover file, and writes nothing', async () => {
    const folder = await workspace();
    const py = join(folder, 'py');
    const args = ['codegen', '--src', ARITH, '--out-py', py, '--manifest', join(folder, 'manifest.json')];
    expect((await run(...args)).code).toBe(EXIT.ok);
    expect(await run(...args, '--check')).toEqual({
      code: EXIT.ok,
      out: 'all 2 generated file(s) are current',
      err: '',
    });

    const generated = await readFile(join(py, 'arith.py'), 'utf8');
    await writeFile(join(py, 'arith.py'), generated.replace('class ArithClient:', 'class ArithClient:  # edited'));
    await writeFile(join(py, 'gone.py'), generated);
    await unlink(join(folder, 'manifest.json'));
    const stale = await run(...args, '--check');
    expect(stale.code).toBe(EXIT.stale);
    expect(stale.err).toMatch(/^stale: .*py\/arith\.py$/m);
    expect(stale.err).toMatch(/^missing: .*manifest\.json$/m);
    expect(stale.err).toMatch(/^no longer generated: .*py\/gone\.py$/m);
    expect(stale.err).toContain('3 generated file(s) out of date');
    expect(await readFile(join(py, 'arith.py'), 'utf8')).toContain('# edited');
    expect(existsSync(join(folder, 'manifest.json'))).toBe(false);
  });

  it('reads a folder: every module, contracts once each, sorted by service, tests skipped', async () => {
    const folder = await workspace({
      'zeta.mjs': contractModule('billing', 'billingContract'),
      'nested/alpha.mjs': contractModule('audit', 'auditContract'),
      'index.mjs': "export { billingContract } from './zeta.mjs';\nexport const notAContract = { service: 1 };",
      'zeta.test.mjs': "throw new Error('a test module was imported');",
      'types.d.ts': 'export {};',
    });
    const result = await run('codegen', '--src', join(folder, 'contracts'), '--out-py', join(folder, 'py'));
    expect(result.code).toBe(EXIT.ok);
    expect(result.out.split('\n').filter((line) => line.startsWith('wrote'))).toEqual([
      expect.stringMatching(/py\/audit\.py$/),
      expect.stringMatching(/py\/billing\.py$/),
    ]);
    const audit = await readFile(join(folder, 'py', 'audit.py'), 'utf8');
    expect(audit.split('\n')[0]).toBe('# Generated by @replayrail/rpc codegen from nested/alpha.mjs: do not edit.');
    expect(audit).toContain('    amount_cents: int = Field(alias="amountCents")');
  });

  it('exits 2 on bad usage, saying why', async () => {
    const folder = await workspace();
    const cases: [string[], string][] = [
      [[], 'a command is needed: codegen'],
      [['generate', '--src', ARITH], 'unknown command: generate'],
      [['codegen', '--src', ARITH, '--out-py', folder, '--nope'], "Unknown option '--nope'"],
      [['codegen', '--out-py', folder], '--src is needed'],
      [['codegen', '--src', ARITH], 'nothing to generate: give --out-py, --out-ts or --manifest'],
      [['codegen', '--src', ARITH, '--out-ts', folder], '--out-ts needs --ts-contract-import'],
      [['codegen', '--src', join(folder, 'nowhere'), '--out-py', folder], 'nowhere: no such file or folder'],
    ];
    for (const [argv, message] of cases) {
      const result = await run(...argv);
      expect(result.code, argv.join(' ')).toBe(EXIT.usage);
      expect(result.err, argv.join(' ')).toContain(message);
    }
  });

  it('exits 2 on bad input, naming the module, contract, method and path', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ 'empty.mjs': 'export const nothing = 1;' }, 'no contracts found under'],
      [{ 'broken.mjs': "import { nope } from './missing.mjs';" }, 'broken.mjs: could not import it:'],
      [
        { 'billing.mjs': contractModule('billing', 'billing', 'z.object({ at: z.date() })') },
        'billing.charge params: zod cannot convert this schema to JSON Schema (Date cannot be represented in JSON Schema)',
      ],
      [
        {
          'billing.mjs': contractModule(
            'billing',
            'billing',
            'z.object({ code: z.intersection(z.string(), z.string().min(2)) })',
          ),
        },
        'billing.charge params at #/properties/code: unsupported JSON Schema keyword "allOf"',
      ],
      [
        { 'a.mjs': contractModule('billing', 'first'), 'b.mjs': contractModule('billing', 'second') },
        'two contracts for the service "billing": a.mjs (first) and b.mjs (second)',
      ],
    ];
    for (const [modules, message] of cases) {
      const folder = await workspace(modules);
      const result = await run('codegen', '--src', join(folder, 'contracts'), '--out-py', join(folder, 'py'));
      expect(result.code, message).toBe(EXIT.usage);
      expect(result.err, message).toContain(message);
      expect(existsSync(join(folder, 'py')), message).toBe(false);
    }
  });

  it('exits 2, not 1, when a file cannot be written', async () => {
    const folder = await workspace();
    await writeFile(join(folder, 'taken'), 'a file where the output folder should go');
    const result = await run('codegen', '--src', ARITH, '--out-py', join(folder, 'taken'));
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(/^replayrail-rpc: .*(EEXIST|ENOTDIR)/);
  });

  it('--help and --version', async () => {
    const help = await run('--help');
    expect(help.code).toBe(EXIT.ok);
    expect(help.out).toContain('Exit codes: 0 done (all current under --check), 1 out of date (--check), 2 bad usage');
    expect((await run('--version')).out).toMatch(/^\d+\.\d+\.\d+/);
  });
});

// The launcher runs the built CLI in a plain Node process: TypeScript contract
// modules (importing `contract.ts` as `contract.js`) load with no build of their own.
describe.skipIf(!existsSync(BUILT))(
  existsSync(BUILT) ? 'the replayrail-rpc launcher' : 'the replayrail-rpc launcher (skipped: run pnpm build first)',
  () => {
    it('generates from a TypeScript contract module what runCli generates', async () => {
      const folder = await workspace();
      const { stdout } = await promisify(execFile)(process.execPath, [
        BIN,
        'codegen',
        '--src',
        ARITH,
        '--out-py',
        join(folder, 'bin'),
      ]);
      expect(stdout).toContain('1 file(s) written, 0 unchanged');
      await run('codegen', '--src', ARITH, '--out-py', join(folder, 'in-process'));
      expect(await readFile(join(folder, 'bin', 'arith.py'), 'utf8')).toBe(
        await readFile(join(folder, 'in-process', 'arith.py'), 'utf8'),
      );
    });

    it('--check finds the files it wrote from paths relative to where it runs', async () => {
      const folder = await workspace();
      const args = [BIN, 'codegen', '--src', ARITH, '--out-py', 'py', '--manifest', 'manifest.json'];
      await promisify(execFile)(process.execPath, args, { cwd: folder });
      const checked = await promisify(execFile)(process.execPath, [...args, '--check'], { cwd: folder });
      expect(checked.stdout.trim()).toBe('all 2 generated file(s) are current');
    });

    it('exits 2 with the reason on bad input, and 1 on a stale file under --check', async () => {
      const folder = await workspace();
      const failed = await promisify(execFile)(process.execPath, [
        BIN,
        'codegen',
        '--src',
        folder,
        '--out-py',
        folder,
      ]).catch((error: { code: number; stderr: string }) => error);
      expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('no contracts found under') });
      const stale = await promisify(execFile)(process.execPath, [
        BIN,
        'codegen',
        '--src',
        ARITH,
        '--out-py',
        folder,
        '--check',
      ]).catch((error: { code: number; stderr: string }) => error);
      expect(stale).toMatchObject({ code: 1, stderr: expect.stringMatching(/missing: .*arith\.py/) });
    });
  },
);
