/**
 * @module
 * The example server (`examples/server.mjs`) as a child process of a test, run from the
 * built packages as a user runs it: started on a port, killed with SIGKILL (a crash,
 * mid-request), and started again on the same port.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = join(import.meta.dirname, '..', '..');
const exampleScript = join(packageDir, 'examples', 'server.mjs');

/** The packages the example imports from their `dist`, each with its `src`. */
const EXAMPLE_PACKAGES = ['core', 'store-memory', 'store-redis', 'adapter-hono', 'durable-streams'];

// The newest modification time of the sources under `dir`, tests aside.
function newestSource(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => statSync(join(dir, file)).mtimeMs),
  );
}

/** Builds the packages the example runs on when one's `dist` is missing or older than its sources. */
export function ensureExampleBuilt(): void {
  const stale = EXAMPLE_PACKAGES.some((name) => {
    const dir = join(packageDir, '..', name);
    const built = join(dir, 'dist', 'index.js');
    return !existsSync(built) || statSync(built).mtimeMs < newestSource(join(dir, 'src'));
  });
  if (!stale) return;
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@replayrail/durable-streams...'], {
    cwd: join(packageDir, '..', '..'),
    stdio: 'ignore',
  });
}

/** What the example reads from its environment. */
export interface ExampleEnv {
  readonly port: number;
  /** Unset: the memory store. */
  readonly redisUrl?: string;
  readonly longPollTimeoutMs?: number;
}

/** One example server process, on one port for its whole life. */
export interface ExampleServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>/v1/stream/<path>` */
  stream(path: string): string;
  /** SIGKILL: the process dies at once, whatever it was doing; resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts the process again on the same port (after `kill`); resolves once it listens. */
  restart(): Promise<void>;
  /** Kills the process if it runs (for `afterAll`, whatever happened before). */
  stop(): Promise<void>;
}

/** Starts `examples/server.mjs` on `env.port`; resolves once it says it listens. */
export async function startExampleServer(env: ExampleEnv): Promise<ExampleServer> {
  let child: ChildProcess | undefined;

  const launch = (): Promise<void> => {
    const started = spawn(process.execPath, [exampleScript], {
      env: {
        ...process.env,
        PORT: String(env.port),
        REDIS_URL: env.redisUrl ?? '',
        LONG_POLL_TIMEOUT_MS: String(env.longPollTimeoutMs ?? 1000),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        started.kill('SIGKILL');
        reject(new Error(`the example server on port ${env.port} did not start within 20 s:\n${output}`));
      }, 20_000);
      started.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      started.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Durable Streams on ReplayRail:')) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the example server on port ${env.port} exited (${code ?? signal}):\n${output}`));
      });
    });
  };

  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    port: env.port,
    stream: (path) => `http://127.0.0.1:${env.port}/v1/stream/${path}`,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    stop: kill,
  };
}
