// Builds the board's page into dist/public: the TypeScript bundled with the
// client SDK (no CDN), next to its HTML, CSS and icon.
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const out = new URL('../dist/public/', import.meta.url);
await mkdir(out, { recursive: true });
await build({
  entryPoints: [new URL('../src/page/main.ts', import.meta.url).pathname],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outfile: new URL('board.js', out).pathname,
});
for (const file of ['index.html', 'board.css', 'operator.css', 'layout.css', 'favicon.svg']) {
  await copyFile(new URL(`../src/page/${file}`, import.meta.url), new URL(file, out));
}
