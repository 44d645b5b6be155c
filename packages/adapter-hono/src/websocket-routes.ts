/**
 * @module
 * ReplayRail's two WebSocket endpoints on Hono's `upgradeWebSocket` helper, for
 * any runtime: `<ws>/<channel>?last_event_id=` (one channel, each text frame one
 * event) and `<ws>` (many channels, docs/protocol.md). Who gets in, heartbeats and
 * shutdown are core's admission path, as for server-ws; this file adapts Hono's
 * `WSContext` to it and tells it when a client leaves mid-handshake.
 */

import {
  type Admission,
  CloseCode,
  type Connection,
  FrameCache,
  type HandshakeRefusal,
  handshakeProblem,
  type TransportSocket,
  UPGRADE_REQUIRED,
  utf8Length,
  writeFrames,
} from '@replayrail/core/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents, WSMessageReceive } from 'hono/ws';
import type { ResolvedRoutesOptions } from './options.js';
import { channelUnder, sentMethod, sentTarget, servedAsPlainRequest } from './sent-request.js';

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

/** What every socket of one set of routes shares: one object, so a socket holds a reference. */
interface Shared {
  /** Each text framed once per turn for every socket. */
  readonly frames: FrameCache;
  readonly maxFrameBytes: number;
}

// The socket of a runtime's raw `ws` WebSocket, for the pong listener below: one
// function for every socket instead of a closure each.
const socketOfRaw = new WeakMap<object, HonoSocket>();

function onPong(this: object): void {
  socketOfRaw.get(this)?.connection.pong();
}

/**
 * One upgrade's socket: the events Hono's upgrade helper calls (as methods of this
 * object: no closure per socket), and the socket as core sees it. Where the
 * runtime's socket is a `ws` socket (Node), each event's text is framed once for
 * every socket and a read batch goes out in one write, as on server-ws (core's
 * frame-writer.ts); elsewhere (Bun, Deno), and whenever `ws` is busy, through
 * `WSContext.send`. An idle socket holds this object, its connection and the
 * runtime's own: everything the handshake needed is let go once it is open.
 */
class HonoSocket implements TransportSocket, WSEvents<unknown> {
  #ws: WSContext<unknown> | undefined;
  // Until the socket opens: the departure watch, and the request's context.
  #watch: DepartureWatch | undefined;
  #context: Context | undefined;

  constructor(
    readonly connection: Connection<Context>,
    readonly single: boolean,
    readonly shared: Shared,
    watch: DepartureWatch,
    context: Context,
  ) {
    this.#watch = watch;
    this.#context = context;
  }

  onOpen(_event: Event, ws: WSContext<unknown>): void {
    this.#handshakeDone();
    this.#ws = ws;
    if (!this.connection.open(this)) return; // refused: closed with its code
    const raw = ws.raw as RawSocket | undefined;
    if (typeof raw === 'object' && raw !== null && typeof raw.on === 'function') {
      socketOfRaw.set(raw, this);
      raw.on('pong', onPong);
    }
  }

  onMessage(event: MessageEvent<WSMessageReceive>): void {
    if (this.single) return; // the one-channel endpoint takes no requests
    const data = event.data;
    // Where the server could not be told the limit (see `webSocketServer`), the
    // frame is refused here, after the runtime took it in, with the same 1009.
    if (frameSize(data) > this.shared.maxFrameBytes) {
      this.connection.session.close(CloseCode.MessageTooBig, 'frame too large');
      return;
    }
    if (typeof data === 'string') this.connection.received(data, false);
    else this.connection.received(new Uint8Array(), true);
  }

  onClose(): void {
    this.#handshakeDone();
    this.connection.closed();
  }

  // The handshake is over: stop watching for the client leaving mid-way, and let
  // the Node request go. (@hono/node-ws keeps the request's context as long as the
  // socket lives, and the multiplexed endpoint's session keeps it for `authorize`;
  // Node's request, its headers and its socket's HTTP state need not come with it.)
  #handshakeDone(): void {
    this.#watch?.done();
    this.#watch = undefined;
    const env = this.#context?.env as { incoming?: unknown } | undefined;
    if (env !== undefined && env !== null && 'incoming' in env) env.incoming = undefined;
    this.#context = undefined;
  }

  get raw(): RawSocket | undefined {
    return this.#ws?.raw as RawSocket | undefined;
  }

  send(text: string): void {
    if (this.#ws !== undefined) writeFrames(this.#ws.raw, [this.shared.frames.frame(text)], this.#ws);
  }

  sendBatch(texts: readonly string[], shared = false): void {
    const ws = this.#ws;
    if (ws === undefined) return;
    writeFrames(ws.raw, this.shared.frames.frames(texts, shared), ws);
  }

  close(code: number, reason: string): void {
    this.#ws?.close(code, reason);
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
    else this.#ws?.close(CloseCode.GoingAway, 'no pong');
  }
}

/** Watches for a client leaving mid-handshake (see `watchDeparture`). */
interface DepartureWatch {
  /** Admission let the upgrade through: the runtime's helper completes the handshake now. */
  admitted(): void;
  /** The handshake completed (or the upgrade is over): stop watching. */
  done(): void;
}

// The socket of an upgrade `admitUpgrade` let through, for the upgrade helper's events.
const admittedOf = new WeakMap<Context, HonoSocket>();

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

/** The plain-text answer to a request that cannot become a socket (as server-ws answers it). */
function refusal(problem: HandshakeRefusal): Response {
  return new Response(`${problem.message}\n`, {
    status: problem.status,
    headers: { ...problem.headers, 'content-type': 'text/plain; charset=utf-8' },
  });
}

/**
 * Whether the runtime's upgrade helper took the upgrade on: Deno's answers 101; the
 * Node helpers (ours, `@hono/node-ws`), `@hono/node-server` 2 and Bun's answer 2xx and
 * complete the handshake out of band. Anything else (their own refusal, a fall-through
 * 404, a throw turned into a 500) means no socket will ever open for this request.
 */
function upgradeTaken(response: Response): boolean {
  return response.status === 101 || (response.status >= 200 && response.status < 300);
}

/**
 * The middleware of one endpoint (`single`: the one-channel one), before Hono's
 * upgrade helper: refuses what cannot become a socket before admission (not an
 * upgrade: 426, not a GET: 405, a malformed handshake: 400, a path that is not the
 * endpoint's as sent: 404), admits the upgrade (counted at once; refusals in order;
 * the one-channel subscribe), and lets the helper complete the handshake only if
 * the client is still there. Whatever admission holds is released at once when the
 * helper does not take the upgrade on, whatever the TCP connection does next: a
 * keep-alive connection may carry any number of requests that never become sockets.
 */
function admitUpgrade(
  admission: Admission<Context>,
  options: ResolvedRoutesOptions,
  shared: Shared,
  single: boolean,
): MiddlewareHandler {
  return async (c, next) => {
    // Node serves a request without `Connection: Upgrade` as a plain one, which no
    // answer turns into a socket, whatever its other headers say.
    const problem = servedAsPlainRequest(c)
      ? UPGRADE_REQUIRED
      : handshakeProblem({ method: sentMethod(c), header: (name) => c.req.header(name) });
    if (problem !== undefined) return refusal(problem);
    // The path as sent must be the endpoint's: one the runtime resolved into it is no endpoint.
    const { path, query } = sentTarget(c);
    const channel = single ? channelUnder(path, options.wsPath) : undefined;
    if (single ? channel === undefined : path !== options.wsPath) return c.notFound();
    const connection = admission.admit({
      request: c,
      origin: c.req.header('origin'),
      host: c.req.header('host'),
      ...(channel !== undefined && { single: { channel, query } }),
    });
    const watch = watchDeparture(c, connection, options.transport.upgradeTimeoutMs);
    await connection.decided;
    if (connection.abandoned) {
      watch.done();
      return c.body(null, 400); // nobody reads it: the client is gone
    }
    watch.admitted();
    admittedOf.set(c, new HonoSocket(connection, single, shared, watch, c));
    let taken = false;
    try {
      await next();
      taken = upgradeTaken(c.res);
    } finally {
      admittedOf.delete(c);
      if (!taken) {
        watch.done();
        connection.abandon();
      }
    }
  };
}

/** The upgrade helper's events for an upgrade `admitUpgrade` let through: its socket object. */
function socketEvents(c: Context): WSEvents<unknown> {
  const socket = admittedOf.get(c);
  if (socket === undefined) return {};
  admittedOf.delete(c);
  return socket;
}

/** The handlers of both endpoints: each endpoint's `admitUpgrade`, then the runtime's upgrade helper. */
export interface WebSocketHandlers {
  readonly admitMultiplexed: MiddlewareHandler;
  readonly admitSingle: MiddlewareHandler;
  readonly upgrade: MiddlewareHandler;
}

/** The handlers of both endpoints, sharing one frame cache. */
export function webSocketHandlers(
  admission: Admission<Context>,
  options: ResolvedRoutesOptions,
  upgradeWebSocket: UpgradeWebSocket<unknown>,
  maxFrameBytes: number,
): WebSocketHandlers {
  const shared: Shared = { frames: new FrameCache(), maxFrameBytes };
  return {
    admitMultiplexed: admitUpgrade(admission, options, shared, false),
    admitSingle: admitUpgrade(admission, options, shared, true),
    upgrade: upgradeWebSocket(socketEvents),
  };
}
