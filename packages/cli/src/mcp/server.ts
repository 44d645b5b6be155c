/**
 * @module
 * The MCP server `replayrail mcp` serves: read-only tools on the channels the
 * allow-list serves, the channels as resources, and, only with `allowWrite`, the
 * tools that publish and redrive. One is made per client connection (stdio), or
 * per request (HTTP, stateless: see http.ts); all share one Redis connection.
 */

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerChannelResources } from './channel-resources.js';
import type { ToolContext } from './context.js';
import { registerDeadLetters } from './dead-letters-tool.js';
import { registerFigures } from './figures-tools.js';
import { registerLineage } from './lineage-tool.js';
import { registerReplay } from './replay-tool.js';
import { registerState } from './state-tool.js';
import { registerWriteTools } from './write-tools.js';

export interface ServerOptions extends ToolContext {
  /** Register `publish` and `redrive` (`--allow-write`). */
  readonly allowWrite: boolean;
  /** The CLI's version, told to clients. */
  readonly version: string;
}

// What a client's model reads first: what the server is, and what it may do here.
function instructions(options: ServerOptions): string {
  const writes = options.allowWrite
    ? 'publish and redrive change the channels.'
    : 'It is read-only: it cannot publish or redrive.';
  return [
    `ReplayRail channels on Redis (stream prefix "${options.connection.prefix}"): durable, ordered event streams, each event with a cursor (its id).`,
    `This server serves ${options.allow.describe()}. ${writes}`,
    'Read a channel with replay_channel, its figures with stream_info and group_info, failures with list_dead_letters, a keyed channel with read_state, and a workflow across channels with read_lineage.',
  ].join(' ');
}

export function createServer(options: ServerOptions): McpServer {
  const server = new McpServer(
    { name: 'replayrail', title: 'ReplayRail', version: options.version },
    { instructions: instructions(options) },
  );
  registerReplay(server, options);
  registerFigures(server, options);
  registerDeadLetters(server, options);
  registerState(server, options);
  registerLineage(server, options);
  if (options.allowWrite) registerWriteTools(server, options);
  registerChannelResources(server, options);
  return server;
}
