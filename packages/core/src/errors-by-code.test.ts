import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from './errors.js';

// Errors are recognised (docs/architecture.md, "Errors"): by their code (`isReplayRailError(error, code)`),
// never by `instanceof`, which fails when an app holds two copies of a package.
const packagesDir = join(import.meta.dirname, '..', '..');
const ours = new Set(
  Object.entries(errors)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
    .map(([name]) => name),
);

// Each package's src/ alone: a walk of the whole tree would go through every node_modules.
function sources(): string[] {
  return readdirSync(packagesDir).flatMap((name) => {
    const src = join(packagesDir, name, 'src');
    if (!existsSync(src)) return [];
    return readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => join(src, file));
  });
}

describe('errors are recognised by code', () => {
  it('knows our error classes and finds the sources', () => {
    expect(ours).toContain('ReplayWindowExpiredError');
    expect(ours).toContain('DuplicateEventError');
    expect(sources().length).toBeGreaterThan(50);
  });

  it('no package source tests one of our errors with instanceof', () => {
    const found: string[] = [];
    for (const file of sources()) {
      for (const [index, line] of readFileSync(file, 'utf8').split('\n').entries()) {
        for (const match of line.matchAll(/instanceof\s+(\w+)/g)) {
          if (ours.has(match[1] as string)) found.push(`${relative(packagesDir, file)}:${index + 1}: ${line.trim()}`);
        }
      }
    }
    expect(found).toEqual([]);
  });
});
