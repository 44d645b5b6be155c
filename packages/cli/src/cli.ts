/**
 * @module
 * `replayrail`: the commands, their options, and how a failure becomes an exit code
 * (exit-codes.ts): bad arguments 2, history gone 3, the rest 1, each with one line
 * on stderr saying what went wrong.
 */

import { readFileSync } from 'node:fs';
import { isReplayRailError } from '@replayrail/core';
import { Command, CommanderError } from 'commander';
import { type DeadLettersAction, deadLetters } from './commands/dead-letters.js';
import { info } from './commands/info.js';
import { publish } from './commands/publish.js';
import { tail } from './commands/tail.js';
import { type Connection, connect, DEFAULT_REDIS_URL } from './connect.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { type CliIo, OutputClosed, processIo } from './io.js';
import { UsageError } from './parse.js';

interface GlobalOptions {
  redis?: string;
  prefix: string;
}

// The package's own version (dist/ and src/ both sit one level below package.json).
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** Runs `replayrail` with `argv` (without the node and script paths); resolves to the exit code. */
export async function runCli(
  argv: readonly string[],
  io?: CliIo,
  env: Record<string, string | undefined> = process.env,
): Promise<ExitCode> {
  const cli = io ?? (await processIo());
  let code: ExitCode = EXIT.ok;
  // Each command runs with a connection that is closed however it ends.
  const withConnection =
    (work: (connection: Connection, ...args: never[]) => Promise<ExitCode>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const connection = await connect(command.optsWithGlobals<GlobalOptions>(), env);
      try {
        code = await work(connection, ...(args.slice(0, -1) as never[]));
      } finally {
        await connection.close();
      }
    };

  const program = new Command('replayrail')
    .description('Tail, publish, inspect and redrive ReplayRail channels on Redis.')
    .version(VERSION)
    .option('--redis <url>', `Redis URL (default: REDIS_URL, else ${DEFAULT_REDIS_URL})`)
    .option('--prefix <prefix>', "the rail's stream prefix", 'rr')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => cli.out(text.replace(/\n$/, '')),
      writeErr: (text) => cli.err(text.replace(/\n$/, '')),
    });

  program
    .command('tail')
    .description("print a channel's events in order, one per line; --follow keeps printing new ones")
    .argument('<channel>')
    .option('--from <position>', 'earliest, latest or a cursor to start after (default: earliest)')
    .option('--since <time>', 'start at the first event at or after this time (ISO 8601 with a zone)')
    .option('--until <time|cursor>', 'stop after this cursor or time')
    .option('-f, --follow', 'keep printing events as they are published (Ctrl-C ends)')
    .option('--json', 'one envelope per line (NDJSON)')
    .action(
      withConnection((connection, channel: string, options: Parameters<typeof tail>[3]) =>
        tail(connection, cli, channel, options),
      ),
    );

  program
    .command('publish')
    .description('publish one event (or, with -, one per line of stdin) and print each stored envelope')
    .argument('<channel>')
    .argument('<type>')
    .argument('[payload]', 'the payload, a JSON object, or - to read one per line from stdin (default: {})')
    .option('--event-id <id>', 'the event ID (makes the publish idempotent)')
    .option('--actor <json>', 'who caused the event, a JSON object')
    .option('--metadata <json>', 'audit context, a JSON object')
    .option('--catalog <module>', "check each event against the app's event catalog (a module exporting it)")
    .action(
      withConnection(
        (
          connection,
          channel: string,
          type: string,
          payload: string | undefined,
          options: Parameters<typeof publish>[5],
        ) => publish(connection, cli, channel, type, payload, options),
      ),
    );

  program
    .command('info')
    .description("a channel's stream figures and its consumer groups")
    .argument('<channel>')
    .option('--json', 'one JSON object')
    .action(
      withConnection((connection, channel: string, options: Parameters<typeof info>[3]) =>
        info(connection, cli, channel, options),
      ),
    );

  program
    .command('dead-letters')
    .description("list, redrive or discard a consumer group's dead letters")
    .argument('<channel>')
    .argument('[action]', 'list, redrive or discard', 'list')
    .requiredOption('--group <group>', 'the consumer group')
    .option('--id <id...>', 'dead letter IDs (redrive, discard)')
    .option('--all', 'every dead letter (redrive, discard)')
    .option('--limit <n>', 'most to list (default: 1000)')
    .option('--json', 'one JSON object per line')
    .action(
      withConnection((connection, channel: string, action: string, options: Parameters<typeof deadLetters>[4]) => {
        const chosen = action as DeadLettersAction;
        if (!['list', 'redrive', 'discard'].includes(chosen)) {
          throw new UsageError(`the action is list, redrive or discard, got ${JSON.stringify(action)}`);
        }
        return deadLetters(connection, cli, channel, chosen, options);
      }),
    );

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.signal.reason instanceof OutputClosed ? EXIT.ok : code;
  } catch (error) {
    return failure(error, cli);
  }
}

// One line on stderr and the exit code for what went wrong.
function failure(error: unknown, io: CliIo): ExitCode {
  // The reader of standard output went away (`| head -1`): done, quietly.
  if (io.signal.reason instanceof OutputClosed) return EXIT.ok;
  if (error instanceof CommanderError) {
    // --help and --version end here too, having printed what was asked.
    if (error.exitCode === 0) return EXIT.ok;
    return EXIT.usage; // commander printed the message already
  }
  if (error instanceof UsageError) {
    io.err(`replayrail: ${error.message}`);
    return EXIT.usage;
  }
  if (isReplayRailError(error, 'replay_window_expired', 'stream_reset')) {
    io.err(`replayrail: history lost (${error.code}): ${error.message}`);
    return EXIT.historyLost;
  }
  if (isReplayRailError(error) && error.status.http === 400) {
    io.err(`replayrail: ${error.message}`);
    return EXIT.usage;
  }
  if (isReplayRailError(error, 'invalid_config')) {
    io.err(`replayrail: ${error.message}`);
    return EXIT.usage;
  }
  const cause = isReplayRailError(error) && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  io.err(`replayrail: ${error instanceof Error ? error.message : String(error)}${cause}`);
  return EXIT.failed;
}
