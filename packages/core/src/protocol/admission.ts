/**
 * @module
 * The admission path every transport takes (docs/architecture.md, "Admission"): who gets a socket, in
 * which order refusals happen, what an upgrade holds while it is being admitted and
 * when that is released, the heartbeats of open sockets, and shutdown. A transport
 * only wires its server to it:
 *
 * 1. a request that cannot become a socket (not an upgrade, not a GET, a malformed
 *    handshake) is answered 426 / 405 / 400 before admission (`handshakeProblem`);
 * 2. `admission.admit(...)` counts the upgrade toward `maxConnections` at once and
 *    decides: shutting down (1001) → Origin (4403) → connection cap (1013) → on the
 *    one-channel endpoint, the subscribe (authorize, start resolution);
 * 3. the transport tells the connection when the client leaves before the
 *    handshake completed (`abandon`): everything it holds is released at once;
 * 4. once the handshake completed, `open(socket)` serves it (or closes it with the
 *    refusal's code, so a browser sees why); `received`, `pong` and `closed` follow.
 */

import { CloseCode, closeReason } from '../close-codes.js';
import {
  ForbiddenError,
  type ReplayRailError,
  ShuttingDownError,
  TooManyConnectionsError,
  toReplayRailError,
  wireStatusOf,
} from '../errors.js';
import type { ReplayRail } from '../rail.js';
import type { ConnectionKind } from '../telemetry/telemetry.js';
import { ProtocolSession, type ProtocolSocket } from './session.js';
import { startFromQuery } from './start.js';
import { originAllowed, type ResolvedTransportOptions } from './transport.js';

/** An upgrade request, as a transport read it. */
export interface UpgradeRequest<Request> {
  /** What `authorize` is shown: the Node request, the Hono context. */
  readonly request: Request;
  /** The Origin header. */
  readonly origin: string | undefined;
  /** The Host header. */
  readonly host: string | undefined;
  /** The one-channel endpoint's channel (the path segment as sent) and query; absent on the multiplexed endpoint. */
  readonly single?: { readonly channel: string; readonly query: URLSearchParams };
}

/** A socket as the admission path needs it: the session's needs, and the heartbeat's. */
export interface TransportSocket extends ProtocolSocket {
  /** Sends a WebSocket ping; false where the runtime cannot (the heartbeat then leaves the socket alone). */
  ping(): boolean;
  /** Drops the connection without a close handshake (a peer that stopped answering). */
  terminate(): void;
}

// Where a connection is in its life.
const PENDING = 0; // admitted or being admitted; counted; its handshake not complete
const REFUSED = 1; // refused; holds nothing; its handshake may still complete (to tell the client why)
const OPEN = 2; // served
const CLOSED = 3; // its socket closed; released
const ABANDONED = 4; // its handshake never completed; released

const DECIDED = Promise.resolve();

// What telemetry is told a connection is (shared objects: an idle socket holds a reference).
const CHANNEL_SOCKET: ConnectionKind = Object.freeze({ transport: 'websocket', endpoint: 'channel' });
const MULTIPLEXED_SOCKET: ConnectionKind = Object.freeze({ transport: 'websocket', endpoint: 'multiplexed' });
const EVENT_STREAM: ConnectionKind = Object.freeze({ transport: 'sse', endpoint: 'events' });

/**
 * One upgrade, from its request to its socket's close. The transport keeps it with
 * its socket and reports what happens to that socket.
 */
export class Connection<Request> {
  readonly session: ProtocolSession<Request>;
  /** @internal its transport and endpoint, for telemetry */
  readonly kind: ConnectionKind;
  readonly #admission: Admission<Request>;
  #state = PENDING;
  #refusal: ReplayRailError | undefined;
  #decided: Promise<void> = DECIDED;
  // Settles `decided` early: a refusal (shutdown) need not wait for a slow subscribe.
  #decide: (() => void) | undefined;
  #socket: TransportSocket | undefined;
  #alive = true;

  /** @internal made by `Admission.admit` */
  constructor(admission: Admission<Request>, session: ProtocolSession<Request>, kind: ConnectionKind) {
    this.#admission = admission;
    this.session = session;
    this.kind = kind;
  }

  /** Resolves (never rejects) once admission decided: complete the handshake then, unless `abandoned`. */
  get decided(): Promise<void> {
    return this.#decided;
  }

  /** Why it was refused (its socket gets that close code), if it was. */
  get refusal(): ReplayRailError | undefined {
    return this.#refusal;
  }

  /** The client left, or the handshake failed, before it completed: there is no one to answer. */
  get abandoned(): boolean {
    return this.#state === ABANDONED;
  }

  /**
   * The handshake cannot complete (the client left, the handshake failed): releases
   * its slot, its session and any subscription at once. No-op once open.
   */
  abandon(): void {
    if (this.#state !== PENDING && this.#state !== REFUSED) return;
    if (this.#state === PENDING) this.#admission.pendingDone(this);
    this.#state = ABANDONED;
    this.session.dispose();
  }

  /**
   * The handshake completed. Serves the socket and returns true, or closes it with
   * the refusal's code and returns false.
   */
  open(socket: TransportSocket): boolean {
    this.#decided = DECIDED;
    this.#decide = undefined;
    if (this.#state === PENDING) {
      this.#state = OPEN;
      this.#socket = socket;
      this.#admission.opened(this);
      this.session.attach(socket);
      return true;
    }
    // Refused (or, in a race, abandoned an instant before): the client learns why.
    const refusal = this.#refusal ?? new ShuttingDownError();
    this.#state = CLOSED;
    socket.close(wireStatusOf(refusal).ws ?? CloseCode.InternalError, closeReason(refusal.code));
    return false;
  }

  /** A frame from the client (multiplexed endpoint). */
  received(data: string | Uint8Array, isBinary: boolean): void {
    void this.session.receive(data, isBinary);
  }

  /** The client answered a ping. */
  pong(): void {
    this.#alive = true;
  }

  /** The socket closed, whoever closed it. */
  closed(): void {
    if (this.#state === OPEN) {
      this.#state = CLOSED;
      this.session.dispose();
      this.#admission.gone(this);
    } else this.abandon();
  }

  /** @internal the admission's heartbeat: ping, or drop a socket that did not answer the last ping. */
  beat(): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    if (!this.#alive) {
      socket.terminate();
      return;
    }
    this.#alive = false;
    if (!socket.ping()) this.#alive = true; // the runtime cannot ping: never take silence for death
  }

  /** @internal the admission's shutdown: a socket that did not close by itself. */
  terminate(): void {
    this.#socket?.terminate();
  }

  /** @internal refuses it while pending: its slot and session are released, its handshake may complete now. */
  refuse(refusal: ReplayRailError): void {
    if (this.#state !== PENDING) return;
    this.#admission.pendingDone(this);
    this.#admission.refused(this.kind, refusal);
    this.#state = REFUSED;
    this.#refusal = refusal;
    this.session.dispose();
    this.#decide?.();
  }

  /** @internal the handshake waits for `run` (the one-channel subscribe), or for a refusal. */
  waitFor(run: Promise<void>): void {
    this.#decided = new Promise((resolve) => {
      this.#decide = resolve;
      void run.then(resolve);
    });
  }
}

/**
 * The connections of one transport: admission, heartbeats, shutdown.
 *
 * @example
 * const admission = new Admission(rail, resolveTransportOptions(options));
 * const connection = admission.admit({ request, origin, host, single: { channel, query } });
 * socket.once('close', () => connection.abandon());
 * await connection.decided;
 * if (!connection.abandoned) completeHandshake((ws) => connection.open(wrap(ws)));
 */
export class Admission<Request> {
  readonly #rail: ReplayRail;
  readonly #options: ResolvedTransportOptions<Request>;
  readonly #pending = new Set<Connection<Request>>();
  readonly #open = new Set<Connection<Request>>();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  // Other connections the cap counts, such as event streams (`hold`).
  #held = 0;
  #closing: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  constructor(rail: ReplayRail, options: ResolvedTransportOptions<Request>) {
    this.#rail = rail;
    this.#options = options;
    this.#heartbeat = setInterval(() => {
      for (const connection of this.#open) connection.beat();
    }, options.heartbeatMs);
    // The heartbeat alone must not keep a process alive (Node, Deno and Bun have unref).
    (this.#heartbeat as { unref?: () => void }).unref?.();
  }

  /** Every connection the cap counts: open sockets, upgrades being admitted, held streams. */
  get connections(): number {
    return this.#open.size + this.#pending.size + this.#held;
  }

  /** Open sockets. */
  get open(): number {
    return this.#open.size;
  }

  /** Upgrades admitted whose handshake has not completed yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Starts admitting an upgrade: counted at once, refused in the admission order, subscribed first on the one-channel endpoint. */
  admit(upgrade: UpgradeRequest<Request>): Connection<Request> {
    const session = new ProtocolSession(this.#rail, upgrade.request, this.#options.session);
    const connection = new Connection(
      this,
      session,
      upgrade.single === undefined ? MULTIPLEXED_SOCKET : CHANNEL_SOCKET,
    );
    this.#pending.add(connection);
    const refusal = this.#refusal(upgrade, 1);
    if (refusal !== undefined) {
      connection.refuse(refusal);
      return connection;
    }
    const single = upgrade.single;
    // Resolved before the handshake completes: every event published after the
    // client's `open` is delivered.
    if (single !== undefined) connection.waitFor(this.#subscribe(connection, single.channel, single.query));
    return connection;
  }

  /**
   * Counts a connection that is not a socket (an event stream) until the returned
   * function is called. Throws `ShuttingDownError` or `TooManyConnectionsError` as
   * an upgrade would be refused.
   */
  hold(): () => void {
    const refusal = this.#refusal(undefined, 0);
    if (refusal !== undefined) {
      this.refused(EVENT_STREAM, refusal);
      throw refusal;
    }
    this.#held++;
    this.#rail.telemetry?.connectionOpened(EVENT_STREAM);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#held--;
      this.#rail.telemetry?.connectionClosed(EVENT_STREAM);
    };
  }

  /**
   * Shutdown: stops the heartbeat and admitting; refuses pending upgrades (1001 if
   * their handshake completes); closes every open socket with 1001 so clients
   * resume elsewhere from their cursors; resolves once they are gone, cutting off
   * those that did not close within a second. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    clearInterval(this.#heartbeat);
    const error = new ShuttingDownError();
    for (const connection of [...this.#pending]) connection.refuse(error);
    for (const connection of [...this.#open]) {
      connection.session.close(wireStatusOf(error).ws ?? CloseCode.GoingAway, closeReason(error.code));
    }
    await this.#allGone(1_000);
    for (const connection of this.#open) connection.terminate();
    await this.#allGone(1_000);
    // A transport that never reported a close: release them all the same.
    for (const connection of [...this.#open]) connection.closed();
  }

  #allGone(ms: number): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#drained = done;
    });
  }

  // The refusals in their order. `upgrade`: absent for a held stream (HTTP, where
  // CORS governs origins); `self`: 1 when the one asking is already counted.
  #refusal(upgrade: UpgradeRequest<Request> | undefined, self: number): ReplayRailError | undefined {
    if (this.#closing !== undefined) return new ShuttingDownError();
    if (upgrade !== undefined && !originAllowed(this.#options.allowedOrigins, upgrade.origin, upgrade.host)) {
      return new ForbiddenError('origin not allowed', { code: 'origin_not_allowed' });
    }
    if (this.connections - self >= this.#options.maxConnections) return new TooManyConnectionsError();
    return undefined;
  }

  async #subscribe(connection: Connection<Request>, channel: string, query: URLSearchParams): Promise<void> {
    try {
      const start = startFromQuery(query, 'subscription');
      await connection.session.subscribe(channel, start, true);
      connection.session.releaseRequest();
    } catch (error) {
      const failure = toReplayRailError(error);
      this.#options.report(failure);
      connection.refuse(failure);
    }
  }

  /** @internal a pending connection stopped counting as pending. */
  pendingDone(connection: Connection<Request>): void {
    this.#pending.delete(connection);
  }

  /** @internal a connection (or a held stream) was refused. */
  refused(kind: ConnectionKind, refusal: ReplayRailError): void {
    this.#rail.telemetry?.connectionRefused(kind, refusal.code);
  }

  /** @internal a pending connection's handshake completed. */
  opened(connection: Connection<Request>): void {
    this.#pending.delete(connection);
    this.#open.add(connection);
    this.#rail.telemetry?.connectionOpened(connection.kind);
  }

  /** @internal an open connection's socket closed. */
  gone(connection: Connection<Request>): void {
    this.#open.delete(connection);
    this.#rail.telemetry?.connectionClosed(connection.kind);
    if (this.#open.size === 0) this.#drained?.();
  }
}
