import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Core's modules import each other in one direction only: a cycle (even of types)
// means two concepts were not split where they should be, and makes load order matter.
const root = import.meta.dirname;

function modules(): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => join(root, file));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const targets: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s*'(\.{1,2}\/[^']+)'/g)) {
    targets.push(normalize(join(dirname(file), (match[1] as string).replace(/\.js$/, '.ts'))));
  }
  return targets;
}

/** Every cycle's modules, as paths relative to src/, found by a depth-first walk. */
function findCycles(files: readonly string[]): string[][] {
  const graph = new Map(files.map((file) => [file, importsOf(file)]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === 'open') cycles.push(path.slice(path.indexOf(target)).map((f) => relative(root, f)));
      else if (!state.has(target)) visit(target);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

// Core's layers, bottom up: a module imports only from its own layer or below, so
// nothing climbs back up (docs/architecture.md, "Core's modules"). By path under src/.
const LAYERS: readonly (readonly RegExp[])[] = [
  // The vocabulary every module speaks: types, cursors, errors and codes, encodings, checks.
  [/^[^/]+\.ts$/],
  // What a store is, and what telemetry is told.
  [/^store\//, /^telemetry\/(telemetry|traceparent|destinations)\.ts$/],
  // Calls to a store, guarded; the live hub, a keyed channel's state and lineage on top of
  // them; what a publish takes.
  [/^store-guard\.ts$/, /^hub\//, /^channel-state\.ts$/, /^lineage\//, /^publish-input\.ts$/],
  [/^consumer\//],
  [/^rail\.ts$/],
  // What is built on the rail: transports' protocol, OpenTelemetry, the conformance suite.
  [/^protocol\//, /^telemetry\/open-telemetry\.ts$/, /^testing\//],
  [/^index\.ts$/],
];

function layerOf(file: string): number {
  const path = relative(root, file).split('\\').join('/');
  // Most specific first: a named file before its folder's or the base's pattern.
  for (let layer = LAYERS.length - 1; layer >= 0; layer--) {
    if (
      (LAYERS[layer] as readonly RegExp[]).some((pattern) => pattern.test(path) && pattern.source !== '^[^/]+\\.ts$')
    ) {
      return layer;
    }
  }
  return 0;
}

describe("core's module graph", () => {
  it('imports only from its own layer or below: nothing climbs back up', () => {
    const climbs = modules().flatMap((file) =>
      importsOf(file)
        .filter((target) => layerOf(target) > layerOf(file))
        .map((target) => `${relative(root, file)} -> ${relative(root, target)}`),
    );
    expect(climbs).toEqual([]);
  });

  it('reads the imports of every module', () => {
    const files = modules();
    expect(files.length).toBeGreaterThan(20);
    expect(importsOf(join(root, 'envelope.ts'))).toContain(join(root, 'types.ts'));
  });

  it('has no import cycle, type-only imports included', () => {
    expect(findCycles(modules())).toEqual([]);
  });

  it('imports @opentelemetry/api in the opentelemetry entry only: a rail without telemetry never loads it', () => {
    const importers = modules()
      .filter((file) => /from\s*'@opentelemetry\//.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(importers).toEqual([join('telemetry', 'open-telemetry.ts')]);
    const entry = join(root, 'telemetry', 'open-telemetry.ts');
    expect(modules().filter((file) => importsOf(file).includes(entry))).toEqual([]);
  });
});
