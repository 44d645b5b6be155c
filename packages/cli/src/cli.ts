/**
 * @module
 * `replayrail`: the commands, their options, and how a failure becomes an exit code
 * (exit-codes.ts): bad arguments 2, history gone 3, not there 4, the rest 1, each
 * with one line on stderr saying what went wrong.
 */

import { readFileSync } from 'node:fs';
import { isReplayRailError } from '@replayrail/core';
import { Command, CommanderError } from 'commander';
import { type DeadLettersAction, deadLetters } from './commands/dead-letters.js';
import { info } from './commands/info.js';
import { lineage, rebuildLineage } from './commands/lineage.js';
import { type McpOptions, mcp, mcpSetup } from './commands/mcp.js';
import { missingChannel } from './commands/not-found.js';
import { publish } from './commands/publish.js';
import { rebuildState, type StateTarget, showState } from './commands/state.js';
import { tail } from './commands/tail.js';
import { type Connection, connect, DEFAULT_REDIS_URL } from './connect.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { type CliIo, OutputClosed, processIo } from './io.js';
import { UsageError } from './parse.js';
import { loadPolicies, type Policies, type PolicyOptions } from './policy.js';

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
  // Each command runs with a connection that is closed however it ends, on a rail
  // with the channel policies its options give for its channel, the first argument
  // (policy.ts); a command that reads the state is refused without one, before
  // connecting (`needs` names what needs one, given the command's options).
  const withPolicies =
    <A extends unknown[]>(
      work: (connection: Connection, policies: Policies | undefined, ...args: A) => Promise<ExitCode>,
      use: { needs?: (options: Record<string, unknown>) => string | undefined; writes: boolean } = { writes: false },
    ) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const options = command.optsWithGlobals<GlobalOptions & PolicyOptions & Record<string, unknown>>();
      const policies = await loadPolicies(args[0] as string, options, use);
      const needs = use.needs?.(options);
      if (needs !== undefined && policies === undefined) {
        throw new UsageError(
          `${needs} needs the channel's state policy: --config <module> (your rail config's channels) or --key-field <payload field>`,
        );
      }
      const connection = await connectWith(options, policies);
      try {
        code = await work(connection, policies, ...(args.slice(0, -1) as A));
      } finally {
        await connection.close();
      }
    };
  const withConnection = (work: (connection: Connection, ...args: never[]) => Promise<ExitCode>) =>
    withPolicies((connection, _policies, ...args: never[]) => work(connection, ...args));
  const stateNeeds = () => 'state';
  const tailNeeds = (options: Record<string, unknown>) =>
    options.from === 'snapshot' ? 'tail --from snapshot' : undefined;
  const connectWith = async (options: GlobalOptions, policies: Policies | undefined): Promise<Connection> => {
    try {
      return await connect({ ...options, ...(policies !== undefined && { channels: policies.channels }) }, env);
    } catch (error) {
      // A policy the rail refuses: named with where it came from.
      if (policies !== undefined && isReplayRailError(error, 'invalid_config')) {
        throw new UsageError(`${policies.source}: ${error.message}`);
      }
      throw error;
    }
  };
  const stateTarget = (connection: Connection, policies: Policies | undefined): StateTarget => ({
    rail: connection.rail,
    policies: policies as Policies, // withPolicies refused a state command without (`needs`)
    whyEmpty: (channel) => missingChannel(connection, channel),
  });
  // The options that give a channel's state policy (policy.ts), on every command that needs or keeps a state.
  const policyOptions = (command: Command): Command =>
    command
      .option('--config <module>', "your rail config's channel policies: a module exporting `channels` (or `config`)")
      .option('--key-field <field>', 'or: the payload field that names the key (a policy for this channel alone)')
      .option('--tombstone <type...>', 'with --key-field: event types that delete their key')
      .option('--no-tombstones', 'with --key-field: no event type deletes a key');

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

  policyOptions(
    program
      .command('tail')
      .description("print a channel's events in order, one per line; --follow keeps printing new ones")
      .argument('<channel>')
      .option(
        '--from <position>',
        'earliest, latest, snapshot (a keyed channel) or a cursor to start after (default: earliest)',
      )
      .option('--since <time>', 'start at the first event at or after this time (ISO 8601 with a zone)')
      .option('--until <time|cursor>', 'stop after this cursor or time')
      .option('-f, --follow', 'keep printing events as they are published (Ctrl-C ends)')
      .option('--json', 'one envelope per line (NDJSON)'),
  ).action(
    withPolicies(
      (connection, _policies, channel: string, options: Parameters<typeof tail>[3]) =>
        tail(connection, cli, channel, options),
      { needs: tailNeeds, writes: false },
    ),
  );

  policyOptions(
    program
      .command('publish')
      .description('publish one event (or, with -, one per line of stdin) and print each stored envelope')
      .argument('<channel>')
      .argument('<type>')
      .argument('[payload]', 'the payload, a JSON object, or - to read one per line from stdin (default: {})')
      .option('--event-id <id>', 'the event ID (makes the publish idempotent)')
      .option('--actor <json>', 'who caused the event, a JSON object')
      .option('--metadata <json>', 'audit context, a JSON object')
      .option('--catalog <module>', "check each event against the app's event catalog (a module exporting it)"),
  ).action(
    withPolicies(
      (
        connection,
        _policies,
        channel: string,
        type: string,
        payload: string | undefined,
        options: Parameters<typeof publish>[5],
      ) => publish(connection, cli, channel, type, payload, options),
      { writes: true },
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

  const state = program
    .command('state')
    .description("a keyed channel's state: each key's latest event (state <channel>), or rebuild it from history");
  policyOptions(
    state
      .command('show', { isDefault: true })
      .description("each key's latest event, in key order (the default: state <channel>)")
      .argument('<channel>')
      .option('--key <key>', "only this key's latest event")
      .option('--page-size <n>', 'keys read per Redis call (default: 1000)')
      .option('--json', 'one {"key", "event"} object per line'),
  ).action(
    withPolicies(
      (connection, policies, channel: string, options: Parameters<typeof showState>[3]) =>
        showState(stateTarget(connection, policies), cli, channel, options),
      { needs: stateNeeds, writes: false },
    ),
  );
  policyOptions(
    state
      .command('rebuild')
      .description("recompute the state from the channel's retained history (after writers that bypassed it)")
      .argument('<channel>')
      .option('--page-size <n>', 'events read and keys written per Redis call (default: 1000)')
      .option('--json', 'what it did, as one JSON object'),
  ).action(
    withPolicies(
      (connection, policies, channel: string, options: Parameters<typeof rebuildState>[3]) =>
        rebuildState(stateTarget(connection, policies), cli, channel, options),
      { needs: stateNeeds, writes: true },
    ),
  );

  const lineageCommand = program
    .command('lineage')
    .description(
      "a workflow's events across channels and which caused which (lineage <correlation-id>), or index a channel's (lineage rebuild <channel>)",
    );
  lineageCommand
    .command('show', { isDefault: true })
    .description("a workflow's events across channels and which caused which, by its correlation ID (the default)")
    .argument('<correlation-id>')
    .option('--mermaid', 'a Mermaid flowchart')
    .option('--json', "the lineage's JSON")
    .option('--limit <n>', 'most events, the oldest first (default: 1000)')
    .action(
      withConnection((connection, correlationId: string, options: Parameters<typeof lineage>[3]) =>
        lineage(connection, cli, correlationId, options),
      ),
    );
  lineageCommand
    .command('rebuild')
    .description(
      "add the channel's retained events that name a correlation to the index (those written around the rail)",
    )
    .argument('<channel>')
    .option('--page-size <n>', 'events read per Redis call (default: 1000)')
    .option('--json', 'what it did, as one JSON object')
    .action(
      withConnection((connection, channel: string, options: Parameters<typeof rebuildLineage>[3]) =>
        rebuildLineage(connection, cli, channel, options),
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

  policyOptions(
    program
      .command('mcp')
      .description('serve the channels to AI agents over the Model Context Protocol: on stdio, or --http <port>')
      .option('--http <port>', 'serve Streamable HTTP on this port, at /mcp (0: a free port, named on stderr)')
      .option('--host <host>', 'with --http: the address to listen on', '127.0.0.1')
      .option(
        '--channels <patterns...>',
        "only these channels (repeatable, or comma-separated); * is any run of characters, ':' included (default: every channel)",
      )
      .option('--allow-write', 'add the tools that publish and redrive (read-only without)')
      .option('--max-output-bytes <n>', "the most bytes of one answer's JSON (default: 65536)"),
  ).action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<GlobalOptions & McpOptions>();
    // Checked before connecting, as withPolicies does; mcp names no channel, so --key-field's policy is made
    // for each channel a tool names (mcp/channel-rails.ts).
    const setup = await mcpSetup(options);
    // Only the global options: its own --channels is an allow-list, not the rail's channel policies.
    const { redis, prefix } = options;
    const connection = await connectWith({ prefix, ...(redis !== undefined && { redis }) }, setup.policies);
    try {
      code = await mcp(connection, cli, setup, VERSION);
    } finally {
      await connection.close();
    }
  });

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
