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

/** The process's own streams; Ctrl-C (SIGINT) or SIGTERM aborts `signal`. */
export async function processIo(): Promise<CliIo> {
  const { createInterface } = await import('node:readline');
  const controller = new AbortController();
  const stop = (): void => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    progress: (text) => process.stderr.write(`\r\u001b[2K${text}`),
    lines: () => createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }),
    interactive: process.stderr.isTTY === true,
    signal: controller.signal,
  };
}
