import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./server-process.mjs', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

export type Transport = 'server-ws' | 'adapter-hono';

/** A ReplayRail server process on a fixed port, to kill (SIGKILL) and start again. */
export class ServerProcess {
  #child: ChildProcess | undefined;

  constructor(
    readonly transport: Transport,
    readonly port: number,
    readonly redisUrl: string,
    readonly prefix: string,
    readonly staticDir?: string,
  ) {}

  async start(): Promise<void> {
    for (const name of ['server-ws', 'adapter-hono', 'store-redis', 'core']) {
      if (!existsSync(fileURLToPath(new URL(`../../../${name}/dist/index.js`, import.meta.url)))) {
        throw new Error(`@replayrail/${name} is not built: run \`pnpm build\` first (the server process loads dist/)`);
      }
    }
    const args = [script, this.transport, String(this.port), this.redisUrl, this.prefix];
    if (this.staticDir !== undefined) args.push(this.staticDir);
    const child = spawn(process.execPath, args, { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready')) resolve();
      });
    });
  }

  /** Kills the process at once: no close frames, sockets just die. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.#child = undefined;
  }
}
