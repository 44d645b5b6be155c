import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { afterEach, expect, it, vi } from 'vitest';

// The README's "Expiry and snapshots" snippet runs as shown (its own package's import
// pointed at the sources beside it), and prints what its comments say. The
// "## Example" block is run by examples/readme.test.ts.
afterEach(() => vi.restoreAllMocks());

it('runs the "Expiry and snapshots" snippet of the README', async () => {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const code = /## Expiry and snapshots[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code, 'README.md has an "Expiry and snapshots" ts block').toBeTruthy();
  const file = join(import.meta.dirname, '.readme-snapshots.mts');
  writeFileSync(file, (code as string).replace("from '@replayrail/client'", "from './index.js'"));
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(format(...args));
  });
  try {
    await import(file);
  } finally {
    rmSync(file, { force: true });
  }
  const expected = [...(code as string).matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((match) => match[1]);
  expect(expected).toHaveLength(3);
  expect(lines).toEqual(expected);
});
