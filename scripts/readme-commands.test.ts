import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../packages/testkit/src/provided.js';

// Every shell command the READMEs show (the root's, the packages', the demo's) does
// what its text says, run as a reader would run it (issue #22): in document order,
// in a clean environment holding only the README's setup (the toolchain of
// `make install` on PATH), against the machine's Redis. A block says how it is
// checked in an HTML comment on the line before it, invisible once rendered:
//
//   <!-- readme-test: serves http://localhost:8000/ -->   runs in the background until the README is done;
//                                                         the URL must answer first
//   <!-- readme-test: exit 4; output /no consumer group/ -->  its exit code, and a regex its output matches
//   <!-- readme-test: skip (why it cannot run here) -->
//
// A block without one must exit 0. A block stops at its first failing command.

const repo = join(import.meta.dirname, '..');
const toolchain = join(repo, '.tools', 'node_modules', '.bin');
// The run's Redis, as the global setup found it: the READMEs' commands use 127.0.0.1:6379.
const REDIS_URL = inject('redisUrl') ?? 'redis://127.0.0.1:6379';

/** A shell block of a README and how it is checked. */
interface Block {
  readonly readme: string;
  readonly line: number;
  readonly script: string;
  readonly skip: string | undefined;
  readonly serves: string | undefined;
  readonly exit: number;
  readonly output: RegExp | undefined;
}

/** The READMEs a reader starts from: the root's, each package's, the demo's. */
function readmes(): string[] {
  const inFolders = (folder: string) =>
    readdirSync(join(repo, folder))
      .map((name) => join(folder, name, 'README.md'))
      .filter((path) => existsSync(join(repo, path)));
  return ['README.md', ...inFolders('packages'), ...inFolders('apps')];
}

const FENCE = /^( *)```(sh|bash|shell)\n([\s\S]*?)^\1```$/gm;
const DIRECTIVE = /<!-- readme-test: (.*?) -->\s*$/;

function parseBlocks(readme: string): Block[] {
  const text = readFileSync(join(repo, readme), 'utf8');
  const blocks: Block[] = [];
  for (const match of text.matchAll(FENCE)) {
    const before = text.slice(0, match.index).replace(/\n$/, '');
    const directive = DIRECTIVE.exec(before.slice(before.lastIndexOf('\n') + 1))?.[1] ?? '';
    const clauses = directive
      .split(';')
      .map((clause) => clause.trim())
      .filter((clause) => clause !== '');
    const clause = (name: string) =>
      clauses
        .find((c) => c.startsWith(`${name} `) || c === name)
        ?.slice(name.length)
        .trim();
    const skip = clause('skip');
    if (skip !== undefined && !/^\(.+\)$/.test(skip))
      throw new Error(`${readme}: a skip needs its reason: ${directive}`);
    const output = clause('output');
    const indent = (match[1] as string).length;
    blocks.push({
      readme,
      line: before.split('\n').length + 1,
      script: (match[3] as string)
        .split('\n')
        .map((line) => line.slice(indent))
        .join('\n'),
      skip: skip?.slice(1, -1),
      serves: clause('serves'),
      exit: Number(clause('exit') ?? 0),
      output: output === undefined ? undefined : new RegExp((/^\/(.*)\/$/.exec(output)?.[1] ?? output) as string),
    });
  }
  return blocks;
}

/** The environment a reader has after the README's setup: the toolchain on PATH, and little else. */
function cleanEnv(): NodeJS.ProcessEnv {
  return {
    PATH: `${toolchain}:/usr/local/bin:/usr/bin:/bin`,
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
  };
}

function shell(block: Block): ChildProcess {
  // bash -e: a block stops at its first failing command; pipefail: a pipe fails with any of its commands.
  return spawn('bash', ['-e', '-o', 'pipefail', '-c', block.script], {
    cwd: repo,
    env: cleanEnv(),
    detached: true, // its own process group, so a server and its children stop together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { text: () => string; done: Promise<number | null> } {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { text: () => text, done };
}

function stopGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

async function stopAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  stopGroup(child);
  await exited;
}

function portTaken(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function answers(url: string, ms: number, alive: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && alive()) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

const where = (block: Block) => `${block.readme}:${block.line}\n${block.script}`;

/** Runs a README's blocks in order; throws at the first that does not do what it says. */
async function runReadme(blocks: readonly Block[]): Promise<void> {
  const servers: [url: string, server: ChildProcess][] = [];
  try {
    for (const block of blocks) {
      if (block.skip !== undefined) continue;
      if (block.serves !== undefined) {
        // A server the README started on that port is stopped first, as a reader would (Ctrl-C).
        const port = new URL(block.serves).port;
        for (const [url, server] of servers) {
          if (new URL(url).port === port) await stopAndWait(server);
        }
        if (await portTaken(block.serves))
          throw new Error(`${where(block)}\nsomething already listens at ${block.serves}`);
        const child = shell(block);
        servers.push([block.serves, child]);
        const { text } = collect(child);
        if (!(await answers(block.serves, 180_000, () => child.exitCode === null))) {
          throw new Error(`${where(block)}\nnever answered at ${block.serves}:\n${text().slice(-3_000)}`);
        }
        continue;
      }
      const child = shell(block);
      const { text, done } = collect(child);
      const timer = setTimeout(() => stopGroup(child), 300_000);
      const code = await done;
      clearTimeout(timer);
      if (code !== block.exit) {
        throw new Error(`${where(block)}\nexited ${code}, the README says ${block.exit}:\n${text().slice(-3_000)}`);
      }
      if (block.output !== undefined && !block.output.test(text())) {
        throw new Error(`${where(block)}\nits output does not match ${block.output}:\n${text().slice(-3_000)}`);
      }
    }
  } finally {
    await Promise.all(servers.map(([, server]) => stopAndWait(server)));
  }
}

describe("the READMEs' commands", () => {
  const all = readmes().map((readme) => ({ readme, blocks: parseBlocks(readme) }));
  // What the blocks write to the machine's Redis, deleted afterwards (keys that were not there before).
  let redis: Redis;
  let before: Set<string>;
  const keys = async () => new Set((await redis.keys('*')).filter((key) => key.includes('rr:')));

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    before = await keys();
  });
  afterAll(async () => {
    const added = [...(await keys())].filter((key) => !before.has(key));
    if (added.length > 0) await redis.del(...added);
    redis.disconnect();
  });

  it('are all accounted for: run, or skipped with a reason', () => {
    const blocks = all.flatMap(({ blocks }) => blocks);
    expect(blocks.length).toBeGreaterThan(10);
    for (const block of blocks) expect(block.skip ?? 'run', where(block)).not.toBe('');
    // The README's setup is there to be had.
    expect(existsSync(join(toolchain, 'node')), 'make install has put the toolchain in .tools/').toBe(true);
  });

  // Every command is written to run from the repository's root, as the READMEs say.
  for (const { readme, blocks } of all) {
    const runnable = blocks.filter((block) => block.skip === undefined);
    if (runnable.length === 0) continue;
    it(
      `${readme}: every command does what its text says (${runnable.length} of ${blocks.length} blocks run)`,
      () => runReadme(blocks),
      900_000,
    );
  }
});
