/**
 * @module
 * Runs one of the demo's services as a child process on Redis (the ticket printer,
 * printer-process.ts; the kitchen, kitchen-process.ts), one at a time:
 *
 * - starts it with an IPC channel: its reports come over it (`{ kind: 'ready' }`
 *   first, once it serves), and the channel closing tells it the demo is gone, even
 *   killed, so no child outlives its demo;
 * - starts another when one dies on its own, after a pause that doubles while they
 *   keep dying young (a bad REDIS_URL, say);
 * - kills it with SIGKILL when asked (a real crash: nothing of it runs afterwards)
 *   and starts the next at once;
 * - stops it with the demo: SIGTERM, so it finishes what it holds, SIGKILL past 10 s.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What every child says first, once it serves. */
export interface ReadyMessage {
  kind: 'ready';
  name: string;
}

export interface ChildSettings {
  /** What the child is called, in the logs and the callbacks (`printer-2`). */
  name: string;
  /** Its environment, on top of the demo's own. */
  env: Record<string, string>;
}

export interface ProcessSupervisorOptions<Message extends { kind: string }> {
  /** The built script to run (`dist/printer-process.js`). */
  script: URL;
  /** The `n`th child's name and environment, `n` from 1. */
  next(n: number): ChildSettings;
  /** A child was started. */
  onStart?(name: string): void;
  /** A child's message, its `ready` included. */
  onMessage?(name: string, message: Message): void;
  /** A child exited by itself, or was stopped with the demo (a kill is `onKill`'s). */
  onExit?(name: string): void;
  /** The running child is about to be killed. */
  onKill?(name: string): void;
}

export interface ProcessSupervisor {
  /** The running child's pid; null while none runs. */
  pid(): number | null;
  /** Kills the running child with SIGKILL and starts the next; kills run one after the other. */
  kill(): Promise<void>;
  /** Stops the child (SIGTERM, then SIGKILL past 10 s) and starts no other. */
  close(): Promise<void>;
}

// A child that dies on its own is started again after this, doubling while it keeps
// dying young, up to a minute.
const RESTART_MS = 1_000;
const RESTART_MAX_MS = 60_000;
const YOUNG_MS = 5_000;
const STOP_GRACE_MS = 10_000;

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts the first child and keeps one running until `close()`. */
export function superviseChildProcess<Message extends { kind: string }>(
  options: ProcessSupervisorOptions<Message | ReadyMessage>,
): ProcessSupervisor {
  const script = fileURLToPath(options.script);
  let count = 0;
  let child: ChildProcess | undefined;
  let name = '';
  let closing = false;
  let restartMs = RESTART_MS;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const start = () => {
    const settings = options.next(++count);
    name = settings.name;
    const started = settings.name;
    const startedAt = Date.now();
    options.onStart?.(started);
    const current = spawn(process.execPath, [script], {
      env: { ...process.env, ...settings.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = current;
    current.on('message', (message: Message | ReadyMessage) => {
      if (message.kind === 'ready') restartMs = RESTART_MS;
      options.onMessage?.(started, message);
    });
    current.on('error', (error) => console.error(`${started}: ${error.message}`));
    current.on('exit', (code, signal) => {
      if (child !== current) return; // killed on request: the next one runs already
      child = undefined;
      options.onExit?.(started);
      if (closing) return;
      console.error(`${started} exited (${signal ?? `code ${code}`}); starting another in ${restartMs} ms`);
      restartTimer = setTimeout(start, restartMs);
      if (Date.now() - startedAt < YOUNG_MS) restartMs = Math.min(restartMs * 2, RESTART_MAX_MS);
    });
  };

  start();
  return {
    pid: () => child?.pid ?? null,
    kill() {
      const killed = queue.then(async () => {
        const current = child;
        clearTimeout(restartTimer);
        options.onKill?.(name);
        child = undefined;
        if (current !== undefined) {
          current.kill('SIGKILL');
          await exited(current);
        }
        if (!closing) start();
      });
      queue = killed.catch(() => {});
      return killed;
    },
    async close() {
      closing = true;
      clearTimeout(restartTimer);
      await queue;
      const current = child;
      if (current === undefined) return;
      current.kill('SIGTERM');
      const timer = setTimeout(() => current.kill('SIGKILL'), STOP_GRACE_MS);
      await exited(current);
      clearTimeout(timer);
    },
  };
}
