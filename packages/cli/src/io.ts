/**
 * @module
 * Where the CLI writes and reads: the process's streams by default, anything in a
 * test or an embedding program.
 */

export interface CliIo {
  /** One line of output (an event, an envelope, a figure). */
  out(line: string): void;
  /** One line for the person at the terminal: errors, progress. */
  err(line: string): void;
  /** Progress that rewrites itself in place; only called when `interactive`. */
  progress(text: string): void;
  /** Standard input's lines (`publish -`). */
  lines(): AsyncIterable<string>;
  /** Whether a person watches the error stream (a progress line is worth drawing). */
  readonly interactive: boolean;
  /** Aborted on Ctrl-C: a `--follow` ends cleanly. */
  readonly signal: AbortSignal;
}

/**
 * Why `signal` aborted when standard output's reader went away (`… | head -1`):
 * the command ends, quietly, with exit code 0, as Unix tools do.
 */
export class OutputClosed extends Error {
  override readonly name = 'OutputClosed';
  constructor() {
    super('standard output was closed by its reader');
  }
}

/**
 * The process's own streams. Ctrl-C (SIGINT) or SIGTERM aborts `signal`, and so
 * does standard output closing under a pipe (EPIPE), with an `OutputClosed` reason.
 */
export async function processIo(): Promise<CliIo> {
  const { createInterface } = await import('node:readline');
  const controller = new AbortController();
  const stop = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let outputClosed = false;
  // Without a listener, a write to a pipe whose reader left throws EPIPE out of the process.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    outputClosed = true;
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') controller.abort(new OutputClosed());
    else controller.abort(error);
  });
  return {
    out: (line) => {
      if (!outputClosed) process.stdout.write(`${line}\n`);
    },
    err: (line) => process.stderr.write(`${line}\n`),
    progress: (text) => process.stderr.write(`\r\u001b[2K${text}`),
    lines: () => createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }),
    interactive: process.stderr.isTTY === true,
    signal: controller.signal,
  };
}
