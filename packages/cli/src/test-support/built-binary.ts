import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The CLI package's folder. */
export const packageDir = join(import.meta.dirname, '..', '..');

/** The command as a user (or an MCP client's config) runs it: the package's bin, which runs the built CLI. */
export const bin = join(packageDir, 'bin', 'replayrail.js');
const built = join(packageDir, 'dist', 'bin.js');

// The newest modification time of the sources under `dir` (the CLI's and what it runs on).
function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => statSync(join(dir, file)).mtimeMs),
  );
}

/** Tests run the built binary, as a user does: build it when it is missing or older than its sources. */
export function ensureBuilt(): void {
  const sources = ['cli', 'core', 'store-redis'].map((name) => join(packageDir, '..', name, 'src'));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest))) return;
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@replayrail/cli...'], {
    cwd: join(packageDir, '..', '..'),
    stdio: 'ignore',
  });
}
