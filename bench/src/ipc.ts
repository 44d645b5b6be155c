/**
 * @module
 * The benchmarks' child processes: a driver forks each one (`Child`) and sends it
 * requests over IPC, which the child answers in order (`serve`).
 */

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A request from the driver to a child, and the child's reply. */
export interface Request {
  id: number;
  op: string;
  args: unknown;
}
export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/**
 * Serves the driver's requests one at a time, in order, until `stop` (which ends the
 * process after replying). The child also exits when the driver goes away.
 */
export function serve(handle: (op: string, args: unknown) => Promise<unknown>): void {
  const send = (reply: Reply, then: () => void = () => {}): void => {
    if (process.connected) process.send?.(reply, undefined, undefined, then);
  };
  let queue = Promise.resolve();
  process.on('message', (message: Request) => {
    queue = queue.then(async () => {
      try {
        const result = await handle(message.op, message.args);
        send({ id: message.id, ok: true, result: result ?? null }, () => {
          if (message.op === 'stop') process.exit(0);
        });
      } catch (error) {
        send({
          id: message.id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      }
    });
  });
  process.on('disconnect', () => process.exit(0));
}

/** Every child still running, to kill on the way out. */
export const children = new Set<Child>();
let nextRequest = 0;

/** A benchmark process forked from `file`, answering requests over IPC (see `serve`). */
export class Child {
  readonly #process: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #exited = false;

  constructor(
    readonly label: string,
    file: URL,
  ) {
    this.#process = fork(fileURLToPath(file), [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(this);
    this.#process.on('message', (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.ok) pending?.resolve(reply.result);
      else pending?.reject(new Error(`${label}: ${reply.error}`));
    });
    this.#process.on('exit', (code, signal) => {
      this.#exited = true;
      children.delete(this);
      for (const pending of this.#pending.values()) pending.reject(new Error(`${label} exited (${signal ?? code})`));
      this.#pending.clear();
    });
  }

  request<T>(op: string, args: unknown = null, timeoutMs = 30_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.label} has exited`));
    const id = nextRequest++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.label}: ${op} took over ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#process.send({ id, op, args });
    });
  }

  /** Waits up to `ms` for the process to exit (it does after `stop`), then kills it. */
  async end(ms = 3_000): Promise<void> {
    if (!this.#exited) await Promise.race([once(this.#process, 'exit'), sleep(ms)]);
    this.kill();
  }

  kill(): void {
    if (!this.#exited) this.#process.kill('SIGKILL');
  }
}
