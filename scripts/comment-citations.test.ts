import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A comment in the code may point a reader elsewhere, but only somewhere a clone
// has: no "DESIGN §n" (a document outside the repository), no path to a file that
// is not there (issue #21). Paths are checked from the repository's root and from
// the commenting file's folder.
const repo = join(import.meta.dirname, '..');

function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((file) => /\.(ts|mts|mjs|js|lua|py|sh)$/.test(file) && !file.includes('node_modules/'))
    .filter((file) => existsSync(join(repo, file)));
}

/** The comments of a file: `//` lines and `/* … *\/` blocks (`#` lines in shell, Python and `--` in Lua). */
function comments(text: string, file: string): string[] {
  if (/\.(sh|py)$/.test(file)) return [...text.matchAll(/(?:^|\s)#(.*)$/gm)].map((match) => match[1] as string);
  if (file.endsWith('.lua')) return [...text.matchAll(/--(.*)$/gm)].map((match) => match[1] as string);
  return [...text.matchAll(/\/\*[\s\S]*?\*\/|(?:^|[^:'"`\\])\/\/(.*)$/gm)].map((match) => match[1] ?? match[0]);
}

// A path a comment names: something/with/slashes.ext, or docs/x.md, or a README.
const CITED = /(?<![\w@./-])((?:\.{1,2}\/|[\w-]+\/)[\w./-]*\.(?:md|ts|mjs|js|lua|py|json|sh))\b/g;

/** The folders a path in `file`'s comments may be relative to: the file's own, each above it, the repository. */
function bases(file: string): string[] {
  const folders: string[] = [];
  for (let folder = dirname(file); folder !== '.' && folder !== ''; folder = dirname(folder)) folders.push(folder);
  return [...folders, ''];
}

// Whether a cited path is there. A built file (`dist/x.js`) is there when its source (`src/x.ts`) is.
function citable(file: string, cited: string): boolean {
  const forms = [cited, cited.replace(/(^|\/)dist\//, '$1src/').replace(/\.js$/, '.ts')];
  return bases(file).some((base) => forms.some((form) => existsSync(join(repo, base, form))));
}

describe('comments in the code', () => {
  // This file names what it looks for.
  const files = sourceFiles().filter((file) => file !== 'scripts/comment-citations.test.ts');

  it('reads the repository', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('cite no document outside the repository ("DESIGN §n", ../shared)', () => {
    const outside = files.flatMap((file) =>
      comments(readFileSync(join(repo, file), 'utf8'), file)
        .filter((comment) => /\bDESIGN\b|\.\.\/shared\//.test(comment))
        .map((comment) => `${file}: ${comment.trim().slice(0, 100)}`),
    );
    expect(outside).toEqual([]);
  });

  it('cite only files the repository has', () => {
    const missing: string[] = [];
    for (const file of files) {
      for (const comment of comments(readFileSync(join(repo, file), 'utf8'), file)) {
        for (const match of comment.matchAll(CITED)) {
          const cited = (match[1] as string).replace(/[.,]+$/, '');
          if (!citable(file, cited)) missing.push(`${file}: ${cited}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
