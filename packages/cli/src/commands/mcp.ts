/**
 * @module
 * `replayrail mcp`: serves the channels to AI agents over the Model Context
 * Protocol (mcp/server.ts), on stdio (stdout is the protocol: every line of ours
 * goes to stderr) or with `--http <port>` over Streamable HTTP. It runs until
 * SIGINT or SIGTERM, or, on stdio, until its client closes stdin.
 */

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Connection } from '../connect.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { AllowList } from '../mcp/allow-list.js';
import { ChannelRails } from '../mcp/channel-rails.js';
import { serveHttp } from '../mcp/http.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../mcp/output.js';
import { createServer, type ServerOptions } from '../mcp/server.js';
import { positiveCount, UsageError } from '../parse.js';
import { loadPolicies, type Policies, type PolicyOptions } from '../policy.js';

export interface McpOptions extends PolicyOptions {
  http?: string;
  host: string;
  channels?: string[];
  allowWrite?: boolean;
  maxOutputBytes?: string;
}

/** What the options give, checked before connecting: a mistake stops the server before a client sees it. */
export interface McpSetup {
  readonly allow: AllowList;
  /** `--config`'s policies (the connection's rail is made with them). */
  readonly policies: Policies | undefined;
  readonly options: McpOptions;
  readonly port: number | undefined;
  readonly maxOutputBytes: number;
}

// A smaller answer could not hold one ordinary event with its envelope.
const MIN_OUTPUT_BYTES = 1_024;

// `--key-field` names no channel: the server makes its policy per channel (channel-rails.ts).
// Loaded once here, for this placeholder, so options that cannot work are refused at start.
const ANY_CHANNEL = 'any-channel';

function portOf(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new UsageError(`--http takes a port, 0 to 65535, got ${text}`);
  return port;
}

export async function mcpSetup(options: McpOptions): Promise<McpSetup> {
  const allow = new AllowList(options.channels);
  const port = options.http === undefined ? undefined : portOf(options.http);
  const maxOutputBytes = positiveCount(options.maxOutputBytes, '--max-output-bytes', DEFAULT_MAX_OUTPUT_BYTES);
  if (maxOutputBytes < MIN_OUTPUT_BYTES) {
    throw new UsageError(`--max-output-bytes must be at least ${MIN_OUTPUT_BYTES}, got ${maxOutputBytes}`);
  }
  // With --allow-write a publish keeps a keyed channel's state, so --key-field needs its tombstones named.
  const policies = await loadPolicies(ANY_CHANNEL, options, { writes: options.allowWrite === true });
  return { allow, policies: options.config === undefined ? undefined : policies, options, port, maxOutputBytes };
}

// Resolves when `signal` aborts (SIGINT, SIGTERM, stdout gone).
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

// Between reconnection attempts to Redis, at most.
const RECONNECT_MAX_MS = 2_000;

export async function mcp(connection: Connection, io: CliIo, setup: McpSetup, version: string): Promise<ExitCode> {
  // connect.ts makes one attempt, right for a command that runs once; a server outlives a restart of
  // Redis, so it reconnects (ioredis reads the strategy on each close). Calls fail fast meanwhile.
  connection.redis.options.retryStrategy = (attempt) => Math.min(attempt * 100, RECONNECT_MAX_MS);
  const serverOptions: ServerOptions = {
    connection,
    allow: setup.allow,
    rails: new ChannelRails(connection, setup.options, setup.policies),
    maxOutputBytes: setup.maxOutputBytes,
    allowWrite: setup.options.allowWrite === true,
    version,
  };
  const what = `prefix ${connection.prefix}, ${setup.allow.describe()}, ${serverOptions.allowWrite ? 'read and write' : 'read-only'}`;
  const onError = (error: unknown) => io.err(`replayrail: ${error instanceof Error ? error.message : String(error)}`);
  if (setup.port !== undefined) {
    const serving = await serveHttp(() => createServer(serverOptions), {
      host: setup.options.host,
      port: setup.port,
      onError,
    });
    io.err(`replayrail: MCP server on ${serving.url} (${what})`);
    if (!serving.loopback) {
      io.err(
        `replayrail: ${setup.options.host} is not a loopback address: anyone who reaches it can use the server, which asks no credentials`,
      );
    }
    await aborted(io.signal);
    await serving.close();
    return EXIT.ok;
  }
  const server = createServer(serverOptions);
  const transport = new StdioServerTransport();
  transport.onerror = onError;
  const stdinClosed = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await server.connect(transport);
  io.err(`replayrail: MCP server on stdio (${what})`);
  await Promise.race([aborted(io.signal), stdinClosed]);
  await server.close();
  return EXIT.ok;
}
