/**
 * @module
 * `ReplayRailWebSocketServer`: ReplayRail's two WebSocket endpoints on `ws`,
 * attached to your `http.Server` or standalone. Who gets in, heartbeats and
 * shutdown are core's admission path; the protocol (frames, subscriptions, limits,
 * close codes) is core's `ProtocolSession`. This file moves bytes: upgrades,
 * writes, pings, closes.
 */

import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ReplayRail } from '@replayrail/core';
import { ConfigError } from '@replayrail/core/errors';
import {
  Admission,
  type Connection,
  channelFromPath,
  FrameCache,
  type HandshakeRefusal,
  handshakeProblem,
  PROTOCOL_NAME,
  resolveTransportOptions,
  splitTarget,
  type TransportOptions,
  type TransportSocket,
  UPGRADE_REQUIRED,
  writeFrames,
} from '@replayrail/core/protocol';
import { type WebSocket, WebSocketServer } from 'ws';

/** Options of `ReplayRailWebSocketServer` (limits and hooks shared with every transport: `TransportOptions`). */
export interface WebSocketServerOptions extends TransportOptions<IncomingMessage> {
  rail: ReplayRail;
  /** Attach to this server's upgrades; without it, `listen()` starts a server of its own. */
  server?: Server;
  /** Path of the endpoints: `<path>` (multiplexed) and `<path>/<channel>` (one channel). @default '/ws' */
  path?: string;
}

/**
 * One open socket, as core sees it (`TransportSocket`). A class with shared methods
 * and module-level listeners, not closures per socket: an idle socket costs only
 * what it holds.
 */
class WsSocket implements TransportSocket {
  connection: Connection<IncomingMessage> | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly frames: FrameCache,
  ) {}

  // Each event's text is framed once for all sockets, a batch written at once
  // (core's frame-writer.ts; through ws.send where ws is busy).
  send(text: string): void {
    writeFrames(this.ws, [this.frames.frame(text)], this.ws);
  }

  sendBatch(texts: readonly string[], shared = false): void {
    writeFrames(this.ws, this.frames.frames(texts, shared), this.ws);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  ping(): boolean {
    this.ws.ping();
    return true;
  }

  terminate(): void {
    this.ws.terminate();
  }
}

const socketOf = new WeakMap<WebSocket, WsSocket>();

function onPong(this: WebSocket): void {
  socketOf.get(this)?.connection?.pong();
}

function onMessage(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  socketOf.get(this)?.connection?.received(isBinary ? new Uint8Array(data as Buffer) : data.toString(), isBinary);
}

function onClose(this: WebSocket): void {
  socketOf.get(this)?.connection?.closed();
}

const ignore = (): void => {};

function destroySocket(this: Duplex): void {
  this.destroy();
}

const NOT_FOUND: HandshakeRefusal = { status: 404, message: 'no WebSocket endpoint here', headers: {} };

/** Answers an upgrade that cannot become a socket (its status, headers and reason), and hangs up. */
function refuseHandshake(socket: Duplex, refusal: HandshakeRefusal, method: string | undefined): void {
  // The connection closes after this answer, whatever the refusal's own Connection says.
  const headers = Object.entries(refusal.headers)
    .filter(([name]) => name !== 'connection')
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const body = `${refusal.message}\n`;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\nConnection: close\r\n${headers}` +
      `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${method === 'HEAD' ? '' : body}`,
  );
}

/**
 * Serves `GET <path>/<channel>?last_event_id=<cursor>` (Python-compatible: each
 * text frame is one event) and `GET <path>` (one socket, many channels: see
 * docs/protocol.md).
 *
 * @example
 * const server = createServer();
 * const sockets = new ReplayRailWebSocketServer({ rail, server, allowedOrigins: 'same-origin' });
 * server.listen(8080);
 */
export class ReplayRailWebSocketServer {
  readonly #path: string;
  readonly #admission: Admission<IncomingMessage>;
  readonly #wss: WebSocketServer;
  readonly #frames = new FrameCache();
  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.#upgrade(request, socket, head);
  };
  #server: Server | undefined;
  #ownServer = false;

  constructor(options: WebSocketServerOptions) {
    const { rail } = options;
    this.#admission = new Admission(rail, resolveTransportOptions(options));
    this.#path = (options.path ?? '/ws').replace(/\/+$/, '');
    // ws refuses (1009) any incoming frame over the limit before buffering it whole.
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: rail.config.limits.maxFrameBytes,
      handleProtocols: (protocols) => (protocols.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false),
    });
    if (options.server !== undefined) this.#attach(options.server);
  }

  /** Connections the cap counts: open sockets and upgrades still being admitted. */
  get connections(): number {
    return this.#admission.connections;
  }

  /** Starts a server of its own on `port` (0: any free port); resolves with the port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    if (this.#server !== undefined) throw new ConfigError('already attached to a server');
    // Every plain request gets the answer an upgrade would get without `Connection: Upgrade`.
    const server = createServer((_request, response) => {
      response
        .writeHead(UPGRADE_REQUIRED.status, { ...UPGRADE_REQUIRED.headers, 'content-type': 'text/plain' })
        .end(`${UPGRADE_REQUIRED.message}\n`);
    });
    this.#ownServer = true;
    this.#attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  /**
   * Stops accepting sockets, closes every open one with 1001 (clients retry
   * elsewhere and resume from their cursors), ends their subscriptions, and
   * resolves when they are gone. Leaves the rail and the store open.
   */
  async close(): Promise<void> {
    this.#server?.off('upgrade', this.#onUpgrade);
    await this.#admission.close();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    if (this.#ownServer && this.#server !== undefined) {
      const server = this.#server;
      this.#ownServer = false;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  #attach(server: Server): void {
    this.#server = server;
    server.on('upgrade', this.#onUpgrade);
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // The path as sent, not normalized: `a/../b` must reach channel validation as it is.
    const { path, query } = splitTarget(request.url ?? '/');
    const single = path.startsWith(`${this.#path}/`);
    if (path !== this.#path && !single) {
      // Not ours: another handler may take it. With none, Node would leave the socket
      // unread and open for good, so it gets the answer a server gives an unknown path.
      if (this.#server?.listenerCount('upgrade') === 1) {
        socket.on('error', destroySocket);
        refuseHandshake(socket, NOT_FOUND, request.method);
      }
      return;
    }
    socket.on('error', destroySocket);
    const problem = handshakeProblem({
      method: request.method,
      header: (name) => request.headers[name] as string | undefined,
    });
    if (problem !== undefined) {
      refuseHandshake(socket, problem, request.method);
      return;
    }
    const connection = this.#admission.admit({
      request,
      origin: request.headers.origin,
      host: request.headers.host,
      ...(single && {
        single: { channel: channelFromPath(path.slice(this.#path.length + 1)), query },
      }),
    });
    // A client that hangs up before the handshake completes releases what it holds
    // at once (Node says so: the socket ends or closes), and so does a handshake ws fails.
    const gone = (): void => connection.abandon();
    socket.once('end', gone);
    socket.once('close', gone);
    await connection.decided;
    if (connection.abandoned) {
      socket.destroy();
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      socket.off('end', gone);
      socket.off('close', gone);
      ws.on('error', ignore);
      const wrapped = new WsSocket(ws, this.#frames);
      if (!connection.open(wrapped)) return; // refused: closed with its code
      wrapped.connection = connection;
      socketOf.set(ws, wrapped);
      ws.on('pong', onPong);
      ws.on('close', onClose);
      // The one-channel endpoint takes no requests: no listener for its messages.
      if (!single) ws.on('message', onMessage);
    });
  }
}
