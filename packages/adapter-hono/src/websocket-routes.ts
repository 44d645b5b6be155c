/**
 * @module
 * ReplayRail's two WebSocket endpoints on Hono's `upgradeWebSocket` helper, for
 * any runtime: `<ws>/<channel>?last_event_id=` (one channel, each text frame one
 * event) and `<ws>` (many channels, docs/protocol.md). The protocol itself lives in
 * core's `ProtocolSession`, as for server-ws; this file adapts Hono's `WSContext`
 * to it and keeps the count, the heartbeats and the shutdown.
 */

import {
  channelFromPath,
  clientStartFromQuery,
  ForbiddenError,
  originAllowed,
  ProtocolSession,
  type ProtocolSocket,
  type ReplayRail,
  type ReplayRailError,
  ShuttingDownError,
  TooManyConnectionsError,
  toReplayRailError,
  utf8Length,
  wireStatusOf,
} from '@replayrail/core';
import type { Context } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws';
import type { ResolvedRoutesOptions } from './options.js';

/**
 * What the runtimes' raw sockets offer beyond Hono's `WSContext`, found by
 * looking, not by importing: `ws` on Node and the browser-style WebSocket on Deno
 * have `bufferedAmount`, Bun's `ServerWebSocket` has `getBufferedAmount()`; `ws` also
 * pings, hears pongs and terminates.
 */
interface RawSocket {
  bufferedAmount?: number;
  getBufferedAmount?(): number;
  ping?(): void;
  on?(event: 'pong', listener: () => void): void;
  terminate?(): void;
}

/** Bytes of an incoming message as Hono hands it over. */
function frameSize(data: string | Blob | ArrayBufferLike): number {
  if (typeof data === 'string') return utf8Length(data);
  return 'size' in data ? data.size : data.byteLength;
}

/** How long an accepted upgrade may take to open before its session is dropped. */
const UPGRADE_TIMEOUT_MS = 30_000;

/** One open socket, as its session sees it. */
class HonoSocket implements ProtocolSocket {
  alive = true;

  constructor(
    readonly ws: WSContext<unknown>,
    readonly session: ProtocolSession<Context>,
  ) {}

  get raw(): RawSocket | undefined {
    return this.ws.raw as RawSocket | undefined;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  get bufferedAmount(): number {
    const raw = this.raw;
    if (typeof raw?.bufferedAmount === 'number') return raw.bufferedAmount;
    if (typeof raw?.getBufferedAmount === 'function') return raw.getBufferedAmount();
    return 0;
  }

  /** Ends a socket that did not answer; a runtime without `terminate` gets a close. */
  terminate(): void {
    if (typeof this.raw?.terminate === 'function') this.raw.terminate();
    else this.ws.close(1001, 'no pong');
  }
}

/** The WebSocket routes' state: open sockets, their heartbeats, and shutdown. */
export class WebSocketRoutes {
  readonly #rail: ReplayRail;
  readonly #options: ResolvedRoutesOptions;
  readonly #sockets = new Set<HonoSocket>();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  readonly #connections: () => number;
  #closing = false;

  constructor(rail: ReplayRail, options: ResolvedRoutesOptions, connections: () => number) {
    this.#rail = rail;
    this.#options = options;
    this.#connections = connections;
    this.#heartbeat = setInterval(() => this.#ping(), options.transport.heartbeatMs);
    // Not holding a process open by itself (Node and Deno have unref; Bun too).
    (this.#heartbeat as { unref?: () => void }).unref?.();
  }

  get open(): number {
    return this.#sockets.size;
  }

  /** The handler of both endpoints. */
  handler(upgradeWebSocket: UpgradeWebSocket<unknown>) {
    return upgradeWebSocket((c) => this.#events(c));
  }

  async #events(c: Context): Promise<WSEvents<unknown>> {
    // Plain GETs are answered (426) before this; a non-upgrade here subscribes nothing.
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return {};
    const url = new URL(c.req.url);
    const single = url.pathname.startsWith(`${this.#options.wsPath}/`);
    const session = new ProtocolSession(this.#rail, c, this.#options.transport.session);
    let refusal: ReplayRailError | undefined;
    if (this.#closing) refusal = new ShuttingDownError();
    else if (!originAllowed(this.#options.transport.allowedOrigins, c.req.header('origin'), c.req.header('host'))) {
      refusal = new ForbiddenError('origin not allowed', { code: 'origin_not_allowed' });
    } else if (this.#connections() >= this.#options.transport.maxConnections) {
      refusal = new TooManyConnectionsError();
    } else if (single) {
      // Resolved before the upgrade completes: every event published after the
      // client's `open` is delivered.
      try {
        const channel = channelFromPath(url.pathname.slice(this.#options.wsPath.length + 1));
        await session.subscribe(channel, clientStartFromQuery(url.searchParams), true);
        session.releaseRequest();
      } catch (error) {
        refusal = toReplayRailError(error);
      }
    }
    let socket: HonoSocket | undefined;
    // A client gone before its upgrade completed never opens (and @hono/node-ws
    // never says so): let its subscription go after a while.
    const abandoned = setTimeout(() => session.dispose(), UPGRADE_TIMEOUT_MS);
    (abandoned as { unref?: () => void }).unref?.();
    return {
      onOpen: (_event, ws) => {
        clearTimeout(abandoned);
        if (refusal !== undefined) {
          session.dispose();
          ws.close(wireStatusOf(refusal).ws ?? 1011, refusal.code);
          return;
        }
        socket = new HonoSocket(ws, session);
        this.#sockets.add(socket);
        const opened = socket;
        socket.raw?.on?.('pong', () => {
          opened.alive = true;
        });
        session.attach(socket);
      },
      onMessage: (event) => {
        if (single) return; // the one-channel endpoint takes no requests
        const data = event.data;
        // Where the server could not be told the limit (see `webSocketServer`), the
        // frame is refused here, after the runtime took it in, with the same 1009.
        if (frameSize(data) > this.#rail.config.limits.maxFrameBytes) {
          session.close(1009, 'frame too large');
          return;
        }
        if (typeof data === 'string') void session.receive(data, false);
        else void session.receive(new Uint8Array(), true);
      },
      onClose: () => {
        if (socket !== undefined) this.#sockets.delete(socket);
        session.dispose();
      },
    };
  }

  #ping(): void {
    for (const socket of this.#sockets) {
      // Only where the runtime lets us ping and hear the pong (ws on Node).
      if (typeof socket.raw?.ping !== 'function' || typeof socket.raw.on !== 'function') continue;
      if (!socket.alive) {
        socket.terminate();
        continue;
      }
      socket.alive = false;
      socket.raw.ping();
    }
  }

  /** Closes every socket with 1001 and resolves when they are gone (or cut off after a second). */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    const deadline = Date.now() + 1_000;
    for (const socket of this.#sockets) {
      const error = new ShuttingDownError();
      socket.session.close(wireStatusOf(error).ws ?? 1001, error.code);
    }
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const socket of this.#sockets) socket.terminate();
  }
}
