/**
 * @module
 * ReplayRail's two WebSocket endpoints on Hono's `upgradeWebSocket` helper, for
 * any runtime: `<ws>/<channel>?last_event_id=` (one channel, each text frame one
 * event) and `<ws>` (many channels, docs/protocol.md). Who gets in, heartbeats and
 * shutdown are core's admission path, as for server-ws; this file adapts Hono's
 * `WSContext` to it and tells it when a client leaves mid-handshake.
 */

import type { ReplayRail } from '@replayrail/core';
import {
  type Admission,
  type Connection,
  channelFromPath,
  FrameCache,
  handshakeProblem,
  type TransportSocket,
  utf8Length,
  writeFrames,
} from '@replayrail/core/protocol';
import type { Context, MiddlewareHandler } from 'hono';
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

/** An event emitter as Node's request socket is one; found by looking, so no Node types here. */
interface NodeSocketLike {
  on(event: 'error', listener: () => void): unknown;
  once(event: 'end' | 'close', listener: () => void): unknown;
  off(event: 'end' | 'close', listener: () => void): unknown;
  listenerCount(event: 'error'): number;
}

const ignore = (): void => {};

/** Bytes of an incoming message as Hono hands it over. */
function frameSize(data: string | Blob | ArrayBufferLike): number {
  if (typeof data === 'string') return utf8Length(data);
  return 'size' in data ? data.size : data.byteLength;
}

/**
 * One open socket, as core sees it. Where the runtime's socket is a `ws` socket
 * (Node), each event's text is framed once for every socket and a read batch goes
 * out in one write, as on server-ws (core's frame-writer.ts); elsewhere (Bun,
 * Deno), and whenever `ws` is busy, through `WSContext.send`.
 */
class HonoSocket implements TransportSocket {
  constructor(
    readonly ws: WSContext<unknown>,
    readonly connection: Connection<Context>,
    readonly frames: FrameCache,
  ) {}

  get raw(): RawSocket | undefined {
    return this.ws.raw as RawSocket | undefined;
  }

  send(text: string): void {
    writeFrames(this.ws.raw, [this.frames.frame(text)], this.ws);
  }

  sendBatch(texts: readonly string[]): void {
    writeFrames(
      this.ws.raw,
      texts.map((text) => this.frames.frame(text)),
      this.ws,
    );
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

  /** Only where the runtime lets us ping and hear the pong (`ws` on Node). */
  ping(): boolean {
    const raw = this.raw;
    if (typeof raw?.ping !== 'function' || typeof raw.on !== 'function') return false;
    raw.ping();
    return true;
  }

  /** Ends a socket that did not answer; a runtime without `terminate` gets a close. */
  terminate(): void {
    if (typeof this.raw?.terminate === 'function') this.raw.terminate();
    else this.ws.close(1001, 'no pong');
  }
}

/** Watches for a client leaving mid-handshake (see `watchDeparture`). */
interface DepartureWatch {
  /** Admission let the upgrade through: the runtime's helper completes the handshake now. */
  admitted(): void;
  /** The handshake completed (or the upgrade is over): stop watching. */
  done(): void;
}

/** An upgrade admitted by `admitUpgrade`, for the upgrade helper's events. */
interface Admitted {
  readonly connection: Connection<Context>;
  readonly single: boolean;
  readonly watch: DepartureWatch;
}

const admittedOf = new WeakMap<Context, Admitted>();

function timer(ms: number, run: () => void): ReturnType<typeof setTimeout> {
  const handle = setTimeout(run, ms);
  (handle as { unref?: () => void }).unref?.();
  return handle;
}

/**
 * Tells `connection` at once when its client leaves before the handshake completed:
 * - Node (`@hono/node-server`): the request's socket ends or closes, up to the open;
 * - Bun and Deno: the request's `signal` aborts, while admission runs. Deno also
 *   aborts it once a response went out (its legacy behaviour), so from the moment
 *   the runtime's helper answers the upgrade until the socket opens, a timer of
 *   `upgradeTimeoutMs` stands in;
 * - a runtime with neither: that timer from the start.
 */
function watchDeparture(c: Context, connection: Connection<Context>, timeoutMs: number): DepartureWatch {
  const gone = (): void => connection.abandon();
  const socket = (c.env as { incoming?: { socket?: Partial<NodeSocketLike> } } | undefined)?.incoming?.socket;
  if (typeof socket?.once === 'function' && typeof socket.off === 'function') {
    const node = socket as NodeSocketLike;
    // A client that resets the connection mid-handshake makes the socket emit
    // 'error'; @hono/node-ws 1.x listens for none, which would crash the process.
    if (typeof node.listenerCount === 'function' && node.listenerCount('error') === 0) node.on('error', ignore);
    node.once('end', gone);
    node.once('close', gone);
    return {
      admitted: ignore,
      done() {
        node.off('end', gone);
        node.off('close', gone);
      },
    };
  }
  const signal = c.req.raw.signal as AbortSignal | undefined;
  let fallback = signal === undefined ? timer(timeoutMs, gone) : undefined;
  signal?.addEventListener('abort', gone, { once: true });
  return {
    admitted() {
      if (signal === undefined) return;
      signal.removeEventListener('abort', gone);
      fallback = timer(timeoutMs, gone);
    },
    done() {
      signal?.removeEventListener('abort', gone);
      clearTimeout(fallback);
    },
  };
}

/**
 * The middleware of both endpoints, before Hono's upgrade helper: refuses a
 * malformed handshake (400), admits the upgrade (counted at once; refusals in
 * order; the one-channel subscribe), and lets the helper complete the handshake
 * only if the client is still there. A client gone meanwhile never reaches the
 * helper, which would otherwise keep a pending upgrade for it (`@hono/node-ws` 1.x does).
 */
export function admitUpgrade(admission: Admission<Context>, options: ResolvedRoutesOptions): MiddlewareHandler {
  return async (c, next) => {
    const problem = handshakeProblem((name) => c.req.header(name));
    if (problem !== undefined) return c.text(`${problem}\n`, 400);
    const url = new URL(c.req.url);
    const single = url.pathname.startsWith(`${options.wsPath}/`);
    const connection = admission.admit({
      request: c,
      origin: c.req.header('origin'),
      host: c.req.header('host'),
      ...(single && {
        single: { channel: channelFromPath(url.pathname.slice(options.wsPath.length + 1)), query: url.searchParams },
      }),
    });
    const watch = watchDeparture(c, connection, options.transport.upgradeTimeoutMs);
    await connection.decided;
    if (connection.abandoned) {
      watch.done();
      return c.body(null, 400); // nobody reads it: the client is gone
    }
    watch.admitted();
    admittedOf.set(c, { connection, single, watch });
    await next();
  };
}

/** The upgrade helper's events for an upgrade `admitUpgrade` let through. */
export function socketEvents(c: Context, rail: ReplayRail, frames: FrameCache): WSEvents<unknown> {
  const admitted = admittedOf.get(c);
  if (admitted === undefined) return {};
  admittedOf.delete(c);
  const { connection, single, watch } = admitted;
  const maxFrameBytes = rail.config.limits.maxFrameBytes;
  return {
    onOpen: (_event, ws) => {
      watch.done();
      const socket = new HonoSocket(ws, connection, frames);
      if (!connection.open(socket)) return; // refused: closed with its code
      socket.raw?.on?.('pong', () => connection.pong());
    },
    onMessage: (event) => {
      if (single) return; // the one-channel endpoint takes no requests
      const data = event.data;
      // Where the server could not be told the limit (see `webSocketServer`), the
      // frame is refused here, after the runtime took it in, with the same 1009.
      if (frameSize(data) > maxFrameBytes) {
        connection.session.close(1009, 'frame too large');
        return;
      }
      if (typeof data === 'string') connection.received(data, false);
      else connection.received(new Uint8Array(), true);
    },
    onClose: () => {
      watch.done();
      connection.closed();
    },
  };
}

/** The handler of both endpoints: `admitUpgrade`, then the runtime's upgrade helper. */
export function upgradeHandler(upgradeWebSocket: UpgradeWebSocket<unknown>, rail: ReplayRail): MiddlewareHandler {
  // One cache for every socket of these routes: each text framed once per turn.
  const frames = new FrameCache();
  return upgradeWebSocket((c) => socketEvents(c, rail, frames));
}
