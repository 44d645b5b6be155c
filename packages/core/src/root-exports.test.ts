import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as root from './index.js';

// The root of @replayrail/core is what applications use (issue #21): a budget of
// names, each one used by an example or the demo, or listed in core's README where
// an application reads about it. Everything else has a door of its own.
const BUDGET = 60;
const repo = join(import.meta.dirname, '..', '..', '..');

/** Every name index.ts exports, values and types alike, read from its source. */
function exportedNames(): string[] {
  const source = readFileSync(join(import.meta.dirname, 'index.ts'), 'utf8');
  return [...source.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((match) =>
    (match[1] as string)
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );
}

function read(...path: string[]): string {
  return readFileSync(join(repo, ...path), 'utf8');
}

describe("core's root", () => {
  it(`exports at most ${BUDGET} names`, () => {
    const names = exportedNames();
    expect(names.length).toBeGreaterThan(20);
    expect(names.length).toBeLessThanOrEqual(BUDGET);
    // The source's list is what the module gives: no value missing, none extra.
    const values = Object.keys(root).sort();
    expect(values.every((name) => names.includes(name))).toBe(true);
  });

  it('exports only names an example or the demo uses, or core README lists for applications', () => {
    const examples = ['quickstart.mjs', 'consumer.mjs', 'telemetry.mjs'].map((file) => read('examples', file));
    const demo = ['app.ts', 'operator-routes.ts', 'printer.ts', 'timeline.ts'].map((file) =>
      read('apps', 'demo', 'src', file),
    );
    const readme = read('packages', 'core', 'README.md');
    const text = [...examples, ...demo, readme].join('\n');
    const unused = exportedNames().filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
    expect(unused).toEqual([]);
  });
});
