/**
 * @module
 * `ReplayRailWebSocketServer`: ReplayRail's two WebSocket endpoints on `ws`,
 * attached to your `http.Server` or standalone. The protocol itself (frames,
 * subscriptions, limits, close codes) lives in core's `ProtocolSession`; this
 * file moves bytes: upgrades, pings, closes.
 */

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ConfigError,
  channelFromPath,
  clientStartFromQuery,
  ForbiddenError,
  originAllowed,
  PROTOCOL_NAME,
  ProtocolSession,
  type ProtocolSocket,
  type ReplayRail,
  type ReplayRailError,
  type ResolvedTransportOptions,
  resolveTransportOptions,
  ShuttingDownError,
  TooManyConnectionsError,
  type TransportOptions,
  toReplayRailError,
  wireStatusOf,
} from '@replayrail/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { FrameCache, sendPrepared } from './frame-writer.js';

/** Options of `ReplayRailWebSocketServer` (limits and hooks shared with every transport: `TransportOptions`). */
export interface WebSocketServerOptions extends TransportOptions<IncomingMessage> {
  rail: ReplayRail;
  /** Attach to this server's upgrades; without it, `listen()` starts a server of its own. */
  server?: Server;
  /** Path of the endpoints: `<path>` (multiplexed) and `<path>/<channel>` (one channel). @default '/ws' */
  path?: string;
}

/**
 * One open socket, as its session sees it (`ProtocolSocket`). A class with shared
 * methods and module-level listeners, not closures per socket: an idle socket costs
 * only what it holds.
 */
class Connection implements ProtocolSocket {
  alive = true;

  constructor(
    readonly socket: WebSocket,
    readonly session: ProtocolSession<IncomingMessage>,
    readonly frames: FrameCache,
    readonly registry: Set<Connection>,
  ) {}

  // Each event's text is framed once for all sockets, a batch written at once (frame-writer.ts).
  send(text: string): void {
    sendPrepared(this.socket, [this.frames.frame(text)]);
  }

  sendBatch(texts: readonly string[]): void {
    sendPrepared(
      this.socket,
      texts.map((text) => this.frames.frame(text)),
    );
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }
}

const connectionOf = new WeakMap<WebSocket, Connection>();

function onPong(this: WebSocket): void {
  const connection = connectionOf.get(this);
  if (connection !== undefined) connection.alive = true;
}

function onMessage(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  const session = connectionOf.get(this)?.session;
  void session?.receive(isBinary ? new Uint8Array(data as Buffer) : data.toString(), isBinary);
}

function onClose(this: WebSocket): void {
  const connection = connectionOf.get(this);
  if (connection === undefined) return;
  connection.registry.delete(connection);
  connection.session.dispose();
}

const ignore = (): void => {};

function destroySocket(this: Duplex): void {
  this.destroy();
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
  readonly #rail: ReplayRail;
  readonly #path: string;
  readonly #options: ResolvedTransportOptions<IncomingMessage>;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<Connection>();
  readonly #frames = new FrameCache();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.#upgrade(request, socket, head);
  };
  #server: Server | undefined;
  #ownServer = false;
  #closing = false;

  constructor(options: WebSocketServerOptions) {
    this.#rail = options.rail;
    this.#options = resolveTransportOptions(options);
    this.#path = (options.path ?? '/ws').replace(/\/+$/, '');
    // ws refuses (1009) any incoming frame over the limit before buffering it whole.
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#rail.config.limits.maxFrameBytes,
      handleProtocols: (protocols) => (protocols.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false),
    });
    this.#heartbeat = setInterval(() => this.#ping(), this.#options.heartbeatMs);
    this.#heartbeat.unref();
    if (options.server !== undefined) this.#attach(options.server);
  }

  /** Open sockets. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Starts a server of its own on `port` (0: any free port); resolves with the port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    if (this.#server !== undefined) throw new ConfigError('already attached to a server');
    const server = createServer((_request, response) => {
      response.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket endpoint: upgrade required\n');
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
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#heartbeat);
    this.#server?.off('upgrade', this.#onUpgrade);
    const gone = [...this.#connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          connection.socket.once('close', () => resolve());
          const error = new ShuttingDownError();
          connection.session.close(wireStatusOf(error).ws ?? 1001, error.code);
          // A peer that never answers the close handshake is cut off.
          setTimeout(() => connection.socket.terminate(), 1_000).unref();
        }),
    );
    await Promise.all(gone);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    if (this.#ownServer && this.#server !== undefined) {
      const server = this.#server;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  #attach(server: Server): void {
    this.#server = server;
    server.on('upgrade', this.#onUpgrade);
  }

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // The path as sent, not normalized: `a/../b` must reach channel validation as it is.
    const [pathname = '/', query = ''] = (request.url ?? '/').split('?', 2);
    const params = new URLSearchParams(query);
    const single = pathname.startsWith(`${this.#path}/`);
    if (pathname !== this.#path && !single) return; // not ours: another handler may take it
    socket.on('error', destroySocket);

    let refusal: ReplayRailError | undefined;
    const session = new ProtocolSession(this.#rail, request, this.#options.session);
    if (this.#closing) refusal = new ShuttingDownError();
    else if (!originAllowed(this.#options.allowedOrigins, request.headers.origin, request.headers.host)) {
      refusal = new ForbiddenError('origin not allowed', { code: 'origin_not_allowed' });
    } else if (this.#connections.size >= this.#options.maxConnections) {
      refusal = new TooManyConnectionsError();
    } else if (single) {
      // Resolve the start before the upgrade completes: every event published after
      // the client's `open` is delivered.
      const channel = channelFromPath(pathname.slice(this.#path.length + 1));
      try {
        await session.subscribe(channel, clientStartFromQuery(params), true);
        session.releaseRequest();
      } catch (error) {
        refusal = toReplayRailError(error);
      }
    }

    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      if (refusal !== undefined) {
        session.dispose();
        ws.close(wireStatusOf(refusal).ws ?? 1011, refusal.code);
        return;
      }
      const connection = new Connection(ws, session, this.#frames, this.#connections);
      this.#connections.add(connection);
      connectionOf.set(ws, connection);
      session.attach(connection);
      ws.on('pong', onPong);
      ws.on('error', ignore);
      ws.on('close', onClose);
      // The one-channel endpoint takes no requests: no listener for its messages.
      if (!single) ws.on('message', onMessage);
    });
  }

  #ping(): void {
    for (const connection of this.#connections) {
      if (!connection.alive) {
        // No pong since the last ping: a half-open socket.
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }
}
