/**
 * @module
 * Generated files against the disk: write those that changed, or (for `--check`)
 * list those that are missing or differ, and the generated files left over from a
 * contract that is gone.
 */

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { GeneratedFile } from './generate.js';
import { GENERATED_MARKER } from './version.js';

export interface FileProblem {
  readonly path: string;
  readonly problem: 'missing' | 'stale' | 'no longer generated';
}

async function readIfThere(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes each file whose text differs from the disk's; returns the paths written. */
export async function writeGenerated(files: readonly GeneratedFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const file of files) {
    if ((await readIfThere(file.path)) === file.content) continue;
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, file.content, 'utf8');
    written.push(file.path);
  }
  return written;
}

/** The files that are missing on disk or differ from what would be generated. */
export async function staleGenerated(files: readonly GeneratedFile[]): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  for (const file of files) {
    const current = await readIfThere(file.path);
    if (current === null) problems.push({ path: file.path, problem: 'missing' });
    else if (current !== file.content) problems.push({ path: file.path, problem: 'stale' });
  }
  return problems;
}

/**
 * Files in `folder` ending in `extension` that this codegen wrote (their first line
 * says so) but would not write now: left from a contract that was removed or renamed.
 */
export async function leftoverGenerated(
  folder: string,
  extension: string,
  files: readonly GeneratedFile[],
): Promise<FileProblem[]> {
  // Compared as absolute paths: `--out-py` may be relative, the files' paths not.
  const expected = new Set(files.map((file) => resolve(file.path)));
  const names = await readdir(folder).catch(() => [] as string[]);
  const leftovers: FileProblem[] = [];
  for (const name of names.filter((entry) => entry.endsWith(extension)).sort()) {
    const path = join(folder, name);
    if (expected.has(resolve(path))) continue;
    const firstLine = ((await readIfThere(path)) ?? '').split('\n', 1)[0] ?? '';
    if (firstLine.includes(GENERATED_MARKER)) leftovers.push({ path, problem: 'no longer generated' });
  }
  return leftovers;
}
