import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/architecture.md, "Packages and their doors": core (and the packages that must run in browsers, Deno and Bun) use
// no Node built-ins. tsconfig.runtime.json checks the types; this checks the text,
// so a stray `process.env` or `node:` import fails the tests even without a typecheck.
const packagesDir = join(import.meta.dirname, '..', '..');
const RUNTIME_AGNOSTIC = ['core/src', 'store-memory/src', 'client/src', 'adapter-hono/src', 'durable-streams/src'];
// Node-only entries of those packages (adapter-hono's `./node`, built by its
// tsconfig.node.json): exempt here, and never imported by the rest.
const NODE_ONLY = ['adapter-hono/src/node-websocket.ts', 'adapter-hono/src/node-open-socket.ts'];
const NODE_GLOBALS = /(?<![.\w])\b(process|Buffer|__dirname|__filename|require|global|setImmediate)\s*[.([]/;

function sources(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return entries
    .filter(
      (file) =>
        file.endsWith('.ts') &&
        !file.endsWith('.test.ts') &&
        !file.startsWith('testing') &&
        !file.startsWith('test-support'),
    )
    .map((file) => join(dir, file));
}

describe('runtime-agnostic packages', () => {
  const files = RUNTIME_AGNOSTIC.flatMap((dir) => sources(join(packagesDir, dir))).filter(
    (file) => !NODE_ONLY.includes(relative(packagesDir, file)),
  );
  const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

  it('finds the sources to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('import none of their Node-only entries', () => {
    const nodeOnly = NODE_ONLY.map((file) => `./${file.split('/').pop()?.replace(/\.ts$/, '.js')}`);
    const importers = files.filter((file) =>
      nodeOnly.some((entry) => readFileSync(file, 'utf8').includes(`'${entry}'`)),
    );
    expect(importers.map((file) => relative(packagesDir, file))).toEqual([]);
  });

  it('import no Node built-in module and use no Node global', () => {
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const specifier = match[1] as string;
        if (builtins.has(specifier) || builtins.has(specifier.split('/')[0] as string)) {
          problems.push(`${relative(packagesDir, file)} imports ${specifier}`);
        }
      }
      for (const [index, line] of text.split('\n').entries()) {
        const code = line.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '');
        if (!code.trim().startsWith('*') && NODE_GLOBALS.test(code)) {
          problems.push(`${relative(packagesDir, file)}:${index + 1} uses a Node global: ${line.trim()}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
