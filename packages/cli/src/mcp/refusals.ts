/**
 * @module
 * How the server says no. Every refusal is an `McpError`. Inside a tool call the
 * SDK's `McpServer` turns whatever a tool throws into a result with `isError: true`
 * and the error's message as its text, `MCP error -32602: …`, as it answers its own
 * refusals (an unknown tool, arguments its schema rejects): the protocol puts a
 * tool's failure in the result, for the model to read and correct. A resource read
 * has no such result, so there the same `McpError` is the JSON-RPC error, code and
 * all. Either way a ReplayRail error keeps its code in the text
 * (`invalid_cursor: …`).
 */

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { isReplayRailError } from '@replayrail/core';
import { UsageError } from '../parse.js';

/** Refuses the request as asked: the caller can fix it (another channel, a valid cursor). */
export function refuse(message: string): never {
  throw new McpError(ErrorCode.InvalidParams, message);
}

/**
 * `error` as the client should get it: a ReplayRail error the caller caused (a
 * 4xx on the wire: a bad cursor, history gone, a duplicate) as invalid params
 * naming its code; one of the store (Redis down, a failed reply) as an internal
 * error with its cause; a bad argument the CLI's parsers refuse as invalid params.
 */
export function asMcpError(error: unknown): McpError {
  if (error instanceof McpError) return error;
  if (isReplayRailError(error)) {
    const http = error.status.http;
    const theCallers = http !== null && http >= 400 && http < 500;
    const cause = !theCallers && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new McpError(
      theCallers ? ErrorCode.InvalidParams : ErrorCode.InternalError,
      `${error.code}: ${error.message}${cause}`,
    );
  }
  if (error instanceof UsageError) return new McpError(ErrorCode.InvalidParams, error.message);
  return new McpError(ErrorCode.InternalError, error instanceof Error ? error.message : String(error));
}

/** Runs `work`, any failure turned into the `McpError` the client gets. */
export async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asMcpError(error);
  }
}
