import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';

// Options that cannot work stop `replayrail mcp` with exit 2 before it connects: no Redis listens on port 1.
describe('replayrail mcp: options refused before connecting', () => {
  const run = async (args: string[]) => {
    const err: string[] = [];
    const out: string[] = [];
    const io: CliIo = {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      progress: () => {},
      lines: async function* () {},
      interactive: false,
      signal: new AbortController().signal,
    };
    const code = await runCli(['mcp', '--redis', 'redis://127.0.0.1:1', ...args], io);
    return { code, err: err.join('\n'), out };
  };

  it.each([
    [['--http', 'eighty'], /--http takes a port, 0 to 65535, got eighty/],
    [['--http', '70000'], /--http takes a port/],
    [['--max-output-bytes', '100'], /--max-output-bytes must be at least 1024, got 100/],
    [['--max-output-bytes', '-5'], /--max-output-bytes must be a positive integer/],
    [['--channels', 'restaurant:?'], /--channels takes channel patterns/],
    // A publish keeps a keyed channel's state: the tombstones must be named, as for replayrail publish.
    [['--allow-write', '--key-field', 'order_id'], /name the event types that delete a key/],
    [['--config', './missing-module.mjs'], /--config .*cannot be loaded/],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(message);
    expect(result.out).toEqual([]);
  });
});
