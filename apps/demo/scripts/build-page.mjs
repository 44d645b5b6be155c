// Builds the board's page into dist/public: the TypeScript bundled with the
// client SDK (no CDN), next to its HTML, CSS and icon. Split: what the page imports
// on demand (mermaid, for an order's causation graph: megabytes, most of them
// diagrams the demo never draws) goes into chunks/, loaded only when asked for, so
// board.js stays the board's own code.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { build } from 'esbuild';

const out = new URL('../dist/public/', import.meta.url);
// A chunk's name is its content's hash: the last build's chunks go, not pile up.
await rm(new URL('chunks/', out), { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: { board: new URL('../src/page/main.ts', import.meta.url).pathname },
  bundle: true,
  splitting: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outdir: out.pathname,
  chunkNames: 'chunks/[name]-[hash]',
});
for (const file of ['index.html', 'board.css', 'operator.css', 'layout.css', 'favicon.svg']) {
  await copyFile(new URL(`../src/page/${file}`, import.meta.url), new URL(file, out));
}
