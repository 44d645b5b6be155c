// biome-ignore-all lint/correctness/noNodejsModules: the Node-only entry (`/node`), never loaded by the main one.
/**
 * @module
 * `@replayrail/adapter-hono/node`: Hono's `upgradeWebSocket` on Node, over `ws`,
 * keeping nothing of the request once the socket is open (README, "WebSockets on
 * Node"). `createNodeWebSocket` returns what `@hono/node-ws`'s does, so switching
 * is one import.
 *
 * How an upgrade goes: the server's `upgrade` event dispatches the request through
 * the app (as a GET, with Node's request bound as `c.env.incoming`, as
 * `@hono/node-ws` does); the helper, if a route reaches it, leaves on that env only
 * what the socket will need (its events, its URL as text) and answers 200; the
 * `upgrade` listener then completes the handshake with `ws` and opens the socket
 * (node-open-socket.ts), or writes the app's status and closes the connection.
 * `@hono/node-ws` instead starts a task per upgrade whose closures (the message,
 * close and error listeners) hold the request's `Context` for the socket's life.
 */

import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Duplex } from 'node:stream';
import { defineWebSocketHelper, type UpgradeWebSocket } from 'hono/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Accepted, openSocket } from './node-open-socket.js';

/** Options of the helper's `upgradeWebSocket(createEvents, options)`. */
export interface NodeUpgradeOptions {
  /** Where a throw from one of the events goes. @default console.error */
  onError?: (error: unknown) => void;
}

/** What `createNodeWebSocket` returns, as `@hono/node-ws`'s does. */
export interface NodeWebSocket {
  /** Hono's WebSocket helper: `app.get('/ws', upgradeWebSocket((c) => events))`, or the adapter's option. */
  upgradeWebSocket: UpgradeWebSocket<WebSocket, NodeUpgradeOptions>;
  /** Takes the server's upgrades (call it once, with the server that serves the app). */
  injectWebSocket(server: Server | Http2Server | Http2SecureServer): void;
  /**
   * The `ws` server completing the handshakes: give it to the adapter's
   * `webSocketServer` option so its frame limit is the rail's.
   */
  wss: WebSocketServer;
}

/** Options of `createNodeWebSocket`. */
export interface NodeWebSocketInit {
  /** The app whose routes answer the upgrades (a `Hono`). */
  app: { request(input: URL, init: RequestInit, env: object): Response | Promise<Response> };
  /** The origin an upgrade's URL is resolved against. @default 'http://localhost' */
  baseUrl?: string | URL;
}

// Where the helper leaves what an upgrade's socket needs, on the env the `upgrade`
// listener dispatched the request with (a key no one else can write).
const ACCEPTED = Symbol('replayrail.accepted');

/** The env of an upgrade dispatched through the app: Node's request, no response (it came by `upgrade`). */
interface UpgradeEnv {
  incoming: IncomingMessage;
  outgoing: undefined;
  [ACCEPTED]: Accepted | undefined;
}

function isUpgradeEnv(env: unknown): env is UpgradeEnv {
  return typeof env === 'object' && env !== null && ACCEPTED in env;
}

const ignore = (): void => {};

/** The request as a Fetch `Request`'s parts: its URL (throws on a target no URL can hold) and headers. */
function requestParts(request: IncomingMessage, baseUrl: string | URL): { url: URL; headers: Headers } {
  const url = new URL(request.url ?? '/', baseUrl);
  const headers = new Headers();
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return { url, headers };
}

/** Answers an upgrade no socket comes of with the app's status alone, as `@hono/node-ws` does, and hangs up. */
function refuse(socket: Duplex, status: number): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Hono's WebSocket helper on Node, over `ws`: the same shape as `@hono/node-ws`'s
 * `createNodeWebSocket`, keeping nothing of the request (its `Context`, `Request`,
 * headers, Node's `IncomingMessage`) once the socket is open; each open socket holds
 * its `ws` socket, its `WSContext` and its events. `ws`'s `maxPayload` (the
 * adapter's `webSocketServer` option sets it) applies to every socket it opens.
 *
 * @example
 * const app = new Hono();
 * const { upgradeWebSocket, injectWebSocket, wss } = createNodeWebSocket({ app });
 * app.route('/', createReplayRailRoutes({ rail, upgradeWebSocket, webSocketServer: wss }).app);
 * injectWebSocket(serve({ fetch: app.fetch, port: 8000 }));
 */
export function createNodeWebSocket(init: NodeWebSocketInit): NodeWebSocket {
  const wss = new WebSocketServer({ noServer: true });
  const baseUrl = init.baseUrl ?? 'http://localhost';

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A client that resets the connection mid-handshake makes its socket emit
    // 'error', which would crash the process with no listener; `ws` listens from
    // the handshake on.
    socket.on('error', ignore);
    const env: UpgradeEnv = { incoming: request, outgoing: undefined, [ACCEPTED]: undefined };
    let response: Response;
    try {
      const { url, headers } = requestParts(request, baseUrl);
      response = await init.app.request(url, { headers }, env);
    } catch {
      refuse(socket, 400); // a target or header no Fetch `Request` can hold
      return;
    }
    const accepted = env[ACCEPTED];
    // Only the app's answer to this upgrade decides (a middleware after the helper
    // may have refused it); a body, if any, is not sent, so let it go.
    if (accepted === undefined || !response.ok) {
      void response.body?.cancel().catch(ignore);
      refuse(socket, response.status);
      return;
    }
    socket.off('error', ignore);
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request);
      openSocket(ws, accepted);
    });
  }

  const upgradeWebSocket = defineWebSocketHelper<WebSocket, NodeUpgradeOptions>((c, events, options) => {
    // Not an upgrade to WebSocket, or not one that came by the `upgrade` event (a
    // plain request has a response to write, and no socket to hand `ws`): not ours.
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket' || !isUpgradeEnv(c.env)) return;
    // Kept: the events, the error hook and the URL as text. Not `c`: nothing here
    // closes over it, and the env is dropped once the socket is open.
    c.env[ACCEPTED] = { events, onError: options?.onError ?? console.error, url: c.req.url };
    return new Response(null);
  });

  return {
    upgradeWebSocket,
    wss,
    injectWebSocket(server) {
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        void upgrade(request, socket, head);
      });
    },
  };
}
