/**
 * @module
 * The server over Streamable HTTP (`--http <port>`), on node:http, at `/mcp`.
 *
 * Stateless, as the SDK's `simpleStatelessStreamableHttp` example: each POST gets
 * a new `McpServer` and transport, answered with plain JSON, and no session is
 * kept. Every tool is one request and one answer, and the server sends nothing
 * unasked (no subscriptions, no progress), so a session would only be state to
 * lose on a restart and to hold per client; without one, any client, a restarted
 * server or several behind a balancer all answer alike. So GET (a stream for
 * server-sent messages) and DELETE (ending a session) are answered 405.
 *
 * On a loopback address the Host header must name it (DNS rebinding protection,
 * as the SDK's `createMcpExpressApp` applies there): a web page cannot reach the
 * server through a name of its own that resolves to 127.0.0.1.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

export const MCP_PATH = '/mcp';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export interface HttpServing {
  /** Where clients connect: `http://<host>:<port>/mcp`. */
  readonly url: string;
  /** Whether it listens on a loopback address only (and checks the Host header). */
  readonly loopback: boolean;
  close(): Promise<void>;
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** Listens on `host`:`port` (0: a free port) and serves a server from `make` per request. */
export async function serveHttp(
  make: () => McpServer,
  options: { host: string; port: number; onError: (error: unknown) => void },
): Promise<HttpServing> {
  let allowedHosts: string[] | undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== MCP_PATH) {
      jsonRpcError(res, 404, ErrorCode.InvalidRequest, `not found: the MCP endpoint is ${MCP_PATH}`);
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      // -32000, a server error, as the SDK's stateless example answers it.
      jsonRpcError(res, 405, -32000, 'method not allowed: this server is stateless, POST only');
      return;
    }
    const server = make();
    // No sessionIdGenerator: stateless.
    const transport = new StreamableHTTPServerTransport({
      enableJsonResponse: true,
      ...(allowedHosts !== undefined && { enableDnsRebindingProtection: true, allowedHosts }),
    });
    res.on('close', () => {
      transport.close().catch(options.onError);
      server.close().catch(options.onError);
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError(error);
      jsonRpcError(res, 500, ErrorCode.InternalError, 'internal server error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const loopback = LOOPBACK.has(options.host);
  if (loopback) allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  return {
    url: `http://${host}:${port}${MCP_PATH}`,
    loopback,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
