import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

// The budget: the whole client, bundled for a browser (esbuild, minified,
// gzip -9), at most 3 kB. Bundled from the TypeScript sources, with what it takes
// from core, so a new import of core (or zod) shows up here.
const BUDGET_BYTES = 3_000;

it(`bundles to at most ${BUDGET_BYTES} bytes, minified and gzipped, with no zod`, async () => {
  const result = await build({
    entryPoints: [new URL('./index.ts', import.meta.url).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['@replayrail/source'],
    write: false,
    metafile: true,
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  const gzipped = gzipSync(code, { level: 9 }).byteLength;
  console.log(`@replayrail/client: ${code.byteLength} bytes minified, ${gzipped} gzipped`);
  expect(Object.keys(result.metafile.inputs).filter((input) => input.includes('zod'))).toEqual([]);
  expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
});
