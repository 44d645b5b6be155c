/**
 * @module
 * Python for the rpc package's tests: the venv that scripts/python-venv.sh makes
 * (with pydantic and redis), the stand-in `clamator_protocol` and the test peer in
 * ./python/, and helpers to generate the Python modules of a contract and to run
 * the peer (`serve` in the background, `call` to the end).
 */

import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe } from 'vitest';
import { generate } from '../codegen/generate.js';
import { writeGenerated } from '../codegen/output.js';

/** The folder of the stand-in `clamator_protocol` package and of peer.py: what goes on PYTHONPATH. */
export const PYTHON_SUPPORT = join(import.meta.dirname, 'python');
/** The test peer (`python peer.py serve|call --redis URL --prefix P --generated DIR`). */
export const PEER_SCRIPT = join(PYTHON_SUPPORT, 'peer.py');
/** The test contract the peer serves. */
export const ARITH_CONTRACT = join(import.meta.dirname, 'contracts', 'arith.ts');

const REPOSITORY = join(import.meta.dirname, '..', '..', '..', '..');
const VENV_PYTHON = join(REPOSITORY, '.tools', 'python', 'bin', 'python');
const HOW_TO_MAKE_IT = 'bash scripts/python-venv.sh makes it';

/** The venv's python when it is there and has pydantic and redis; undefined otherwise. */
export function findPython(): string | undefined {
  if (!existsSync(VENV_PYTHON)) return undefined;
  try {
    execFileSync(VENV_PYTHON, ['-c', 'import pydantic, redis'], { stdio: 'ignore' });
    return VENV_PYTHON;
  } catch {
    return undefined;
  }
}

/**
 * `describe` for a suite that runs Python: skipped, with the reason in its name,
 * when there is no venv; a failure instead under REPLAYRAIL_REQUIRE_PYTHON=1.
 */
export function describeWithPython(name: string, body: (python: string) => void): void {
  const python = findPython();
  if (python === undefined && process.env.REPLAYRAIL_REQUIRE_PYTHON === '1') {
    throw new Error(
      `${name}: REPLAYRAIL_REQUIRE_PYTHON=1 but there is no Python venv at ${VENV_PYTHON} (${HOW_TO_MAKE_IT})`,
    );
  }
  describe.skipIf(python === undefined)(
    python === undefined ? `${name} (skipped: no Python venv; ${HOW_TO_MAKE_IT})` : name,
    () => body(python ?? ''),
  );
}

/** The environment to run Python in: the stand-in `clamator_protocol` importable, output unbuffered. */
export function pythonEnv(): NodeJS.ProcessEnv {
  const path = process.env.PYTHONPATH;
  return {
    ...process.env,
    PYTHONPATH: path ? `${PYTHON_SUPPORT}:${path}` : PYTHON_SUPPORT,
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

/** Generates the Python modules of the contracts at `src` into a new temporary folder; returns it. */
export async function generatePython(src: string = ARITH_CONTRACT): Promise<string> {
  const outPy = await mkdtemp(join(tmpdir(), 'replayrail-rpc-py-'));
  const { files } = await generate({ src, outPy });
  await writeGenerated(files);
  return outPy;
}

export interface PeerOptions {
  readonly python: string;
  readonly redisUrl: string;
  readonly prefix: string;
  /** The folder with the generated arith.py. */
  readonly generated: string;
  readonly instanceId?: string;
  /** More flags for peer.py (`--slow-sleep-ms 3000`…). */
  readonly extraArgs?: readonly string[];
}

/** A running `peer.py serve`: the JSON lines it printed so far, and how to wait for one and to stop it. */
export interface PythonServer {
  readonly lines: readonly unknown[];
  readonly stderr: () => string;
  /** The first line (printed so far or later) that `matches`; rejects if the peer exits first. */
  nextLine(matches: (line: unknown) => boolean): Promise<unknown>;
  /** Closes its stdin (or, with `signal`, sends that signal) and resolves to its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function peerArgs(mode: 'serve' | 'call', options: PeerOptions): string[] {
  return [
    PEER_SCRIPT,
    mode,
    ...['--redis', options.redisUrl, '--prefix', options.prefix, '--generated', options.generated],
    ...(options.instanceId === undefined ? [] : ['--instance-id', options.instanceId]),
    ...(options.extraArgs ?? []),
  ];
}

function watch(child: ChildProcessWithoutNullStreams) {
  const lines: unknown[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  // 'close', not 'exit': by then every line it printed has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    lines.push(JSON.parse(text));
    for (const wake of waiters) wake();
  });
  let done = false;
  void exited.then(() => {
    done = true;
    for (const wake of waiters) wake();
  });
  const nextLine = (matches: (line: unknown) => boolean) =>
    new Promise<unknown>((resolve, reject) => {
      const check = () => {
        const found = lines.find(matches);
        if (found !== undefined || done) waiters.delete(check);
        if (found !== undefined) resolve(found);
        else if (done) reject(new Error(`the Python peer exited first; its stderr:\n${stderr}`));
      };
      waiters.add(check);
      check();
    });
  return { lines, exited, nextLine, stderr: () => stderr };
}

/** Starts `peer.py serve` and resolves once it prints `{"ready": true}` (its group exists then). */
export async function startPythonServer(options: PeerOptions): Promise<PythonServer> {
  const child = spawn(options.python, peerArgs('serve', options), { env: pythonEnv(), stdio: 'pipe' });
  const { lines, exited, nextLine, stderr } = watch(child);
  await nextLine((line) => (line as { ready?: unknown }).ready === true);
  return {
    lines,
    stderr,
    nextLine,
    stop: async (signal) => {
      if (signal === undefined) child.stdin.end();
      else child.kill(signal);
      return exited;
    },
  };
}

/** Runs `peer.py call` to its end; resolves to its JSON lines and exit code. */
export async function runPythonCaller(
  options: PeerOptions,
): Promise<{ lines: unknown[]; code: number | null; stderr: string }> {
  const child = spawn(options.python, peerArgs('call', options), { env: pythonEnv(), stdio: 'pipe' });
  child.stdin.end();
  const { lines, exited, stderr } = watch(child);
  const code = await exited;
  return { lines, code, stderr: stderr() };
}
