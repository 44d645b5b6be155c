/**
 * @module
 * One WebSocket connection, independent of the server library: it parses and
 * checks client frames, authorizes, subscribes through the rail, writes frames,
 * enforces the send-buffer cap, and maps errors to close codes (docs/architecture.md, "Errors").
 * Transports (server-ws, adapter-hono) only move bytes and call into it, through
 * the admission path (admission.ts) that decides who gets a session.
 */

import { CloseCode, closeReason } from '../close-codes.js';
import {
  InternalError,
  InvalidRequestError,
  isReplayRailError,
  type ReplayRailError,
  SlowConsumerError,
  toReplayRailError,
  wireStatusOf,
} from '../errors.js';
import type { Subscription } from '../hub/subscription.js';
import type { ReplayRail, SubscribeOptions } from '../rail.js';
import { type ParsedStart, parseStart } from '../start.js';
import { type Authorize, checkAuthorized } from './authorize.js';
import {
  errorFrame,
  expiredFrame,
  liveFrame,
  PONG_FRAME,
  parseClientFrame,
  subscribedFrame,
  unsubscribedFrame,
} from './frames.js';

/** What a session needs of a socket. */
export interface ProtocolSocket {
  send(text: string): void;
  /**
   * Sends several frames at once, e.g. in one write (optional: `send` each otherwise).
   * `shared`: some of them go to other sockets too, the very same strings (a live
   * feed's events), so framing each once for all of them pays.
   */
  sendBatch?(texts: readonly string[], shared?: boolean): void;
  close(code: number, reason: string): void;
  /** Bytes queued for sending and not yet written to the network. */
  readonly bufferedAmount: number;
}

/** Options every session of a server shares: one object, so an idle socket holds a reference, not a copy. */
export interface SessionOptions<Request> {
  readonly authorize?: Authorize<Request>;
  /** Close a socket with 4408 once this many bytes wait to be sent to it. */
  readonly maxBufferedBytes: number;
  /** Told of every failure on the server's side (see `TransportOptions.onError`); never throws. */
  readonly report: (error: ReplayRailError) => void;
}

/** The session's own close, for a socket that went away: nothing is written to it. */
const GONE: [number, string] = [CloseCode.Normal, 'gone'];

export class ProtocolSession<Request> {
  readonly #rail: ReplayRail;
  // Kept for authorizing later subscribes; dropped once none can come (see releaseRequest).
  #request: Request | undefined;
  readonly #options: SessionOptions<Request>;
  readonly #subscriptions = new Map<string, Subscription>();
  // Channels whose subscribe is being authorized or resolved, so a second subscribe
  // to the same channel in the meantime is refused rather than doubled.
  // Created on first use, like the queues below: an idle socket's session holds little.
  #pending: Set<string> | undefined;
  #socket: ProtocolSocket | undefined;
  // Frames produced before the socket was attached (events published between the
  // start cursor being resolved and the upgrade completing).
  #early: string[] | undefined;
  #closed = false;
  // Why the session closed, for a socket attached after that (an upgrade in flight).
  #closeCode: [number, string] | undefined;
  #inbox: Promise<void> | undefined;
  // Frames of this turn, written together once the turn's events are all in: one
  // write per socket per read batch, however many events the batch holds.
  #outbox: string[] | undefined;
  // Whether the outbox holds a frame a live feed hands to its other sockets too:
  // then the transport frames through its cache; a catch-up's frames are this
  // socket's alone, and looking each one up would cost more than it saves.
  #outboxShared = false;

  constructor(rail: ReplayRail, request: Request, options: SessionOptions<Request>) {
    this.#rail = rail;
    this.#request = request;
    this.#options = options;
  }

  get subscriptions(): number {
    return this.#subscriptions.size + (this.#pending?.size ?? 0);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Authorizes and starts a subscription; its start cursor is resolved when this
   * resolves. Throws a ReplayRail error (bad channel or cursor, denied, limit).
   * Resolves to undefined when the session closed meanwhile (the client went away).
   * `single`: the socket carries this one channel (the Python-compatible endpoint,
   * whose frames are events only), so its end closes the socket.
   */
  async subscribe(channel: string, start: ParsedStart, single: boolean): Promise<Subscription | undefined> {
    if (this.#subscriptions.has(channel) || this.#pending?.has(channel)) {
      throw new InvalidRequestError(`already subscribed to ${JSON.stringify(channel)}`, { context: { channel } });
    }
    const max = this.#rail.config.limits.maxSubscriptionsPerSocket;
    if (this.subscriptions >= max) {
      throw new InvalidRequestError(
        `a socket may hold at most ${max} subscriptions (limits.maxSubscriptionsPerSocket)`,
        {
          context: { channel, max },
        },
      );
    }
    this.#pending ??= new Set();
    this.#pending.add(channel);
    try {
      if (this.#options.authorize !== undefined) {
        const request = this.#request;
        if (request === undefined) throw new InvalidRequestError('this socket takes no more subscriptions');
        await checkAuthorized(this.#options.authorize, { request, channel, action: 'subscribe' });
        // Gone while authorize ran: start nothing.
        if (this.#closed) return undefined;
      }
      // Frames of this channel wait until its acknowledgement is out, and so does a
      // close for an undecodable entry (after the events before it). The listeners
      // share one small closure context, an idle socket's whole cost here.
      let waiting: string[] | undefined = [];
      let undecodable: ReplayRailError | undefined;
      let subscription: Subscription | undefined;
      // Until the subscription joins the channel's live feed, its events come from
      // its own catch-up: frames no other socket gets.
      let live = false;
      const out = (frame: string, shared = false): void => {
        if (waiting === undefined) this.#send(frame, shared);
        else waiting.push(frame);
      };
      const options: SubscribeOptions = {
        onEvent: (_event, frame) => out(frame, live),
        onError: single
          ? (error) => {
              if (waiting === undefined) this.#closeUndecodable(error);
              else undecodable ??= error;
            }
          : (error) => out(errorFrame(error.code, error.message, { channel, id: error.context.id })),
        onEnd: (end) => {
          if (subscription !== undefined) this.#ended(channel, subscription, end, single);
        },
        room: () => this.#room(),
      };
      options.onLive = () => {
        live = true;
        // The one-channel endpoint sends events only (as the Python library does).
        if (!single) out(liveFrame(channel));
      };
      if (start.after !== undefined) options.after = start.after;
      if (start.from !== undefined) options.from = start.from;
      if (start.since !== undefined) options.since = start.since;
      subscription = await this.#rail.subscribe(channel, options);
      if (this.#closed) {
        subscription.close();
        return undefined;
      }
      this.#subscriptions.set(channel, subscription);
      // Acknowledged with the resolved start, so the client holds a cursor before its
      // first event; from a snapshot, saying so, before the snapshot's events.
      if (!single) this.#send(subscribedFrame(channel, subscription.start, subscription.snapshot));
      const early = waiting;
      waiting = undefined;
      for (const frame of early) this.#send(frame);
      if (undecodable !== undefined) this.#closeUndecodable(undecodable);
      // Ended while its acknowledgement was on its way (expired at once, say): report it now.
      else if (subscription.closed) {
        const ended = subscription;
        void ended.ended.then((end) => this.#ended(channel, ended, end, single));
      }
      return subscription;
    } finally {
      this.#pending?.delete(channel);
      if (this.#pending?.size === 0) this.#pending = undefined;
    }
  }

  /**
   * Lets go of the request once no further subscribe can come (the one-channel
   * endpoint): an HTTP request object is a few KiB an idle socket need not hold.
   */
  releaseRequest(): void {
    this.#request = undefined;
  }

  /** Hands the session its socket once the upgrade completed; sends what waited. */
  attach(socket: ProtocolSocket): void {
    const early = this.#early;
    this.#early = undefined;
    if (this.#closeCode !== undefined) {
      // Closed before the upgrade completed: what it produced first still goes out
      // (the events before an undecodable entry), unless the reader was the problem.
      if (early !== undefined && this.#closeCode[0] !== CloseCode.SlowConsumer) writeAll(socket, early);
      socket.close(...this.#closeCode);
      return;
    }
    this.#socket = socket;
    for (const frame of early ?? []) this.#send(frame);
  }

  /**
   * Handles one frame from the client on the multiplexed endpoint. Frames are
   * handled one after another, so replies come in the order of the requests; a
   * request that fails is answered with an error frame and the ones after it still run.
   */
  receive(data: string | Uint8Array, isBinary: boolean): Promise<void> {
    const inbox = (this.#inbox ?? Promise.resolve())
      .then(() => this.#handle(data, isBinary))
      .catch((error: unknown) => this.#failed(toReplayRailError(error)));
    this.#inbox = inbox;
    return inbox;
  }

  async #handle(data: string | Uint8Array, isBinary: boolean): Promise<void> {
    if (this.#closed) return;
    if (isBinary || typeof data !== 'string') {
      this.close(CloseCode.BadRequest, closeReason('invalid_request'));
      return;
    }
    let frame: ReturnType<typeof parseClientFrame>;
    try {
      frame = parseClientFrame(data);
    } catch (error) {
      this.#failed(toReplayRailError(error));
      return;
    }
    switch (frame.op) {
      case 'ping':
        this.#send(PONG_FRAME);
        return;
      case 'unsubscribe': {
        const subscription = this.#subscriptions.get(frame.channel);
        if (subscription === undefined) {
          this.#send(errorFrame('invalid_request', 'not subscribed', { channel: frame.channel }));
          return;
        }
        this.#subscriptions.delete(frame.channel);
        subscription.close();
        this.#send(unsubscribedFrame(frame.channel));
        return;
      }
      case 'subscribe': {
        try {
          await this.subscribe(frame.channel, parseStart(frame, 'subscription'), false);
        } catch (error) {
          this.#failed(toReplayRailError(error), frame.channel);
        }
      }
    }
  }

  // A request failed: the client gets an error frame (no detail for our own faults),
  // the server's log gets the fault.
  #failed(failure: ReplayRailError, channel?: string): void {
    this.#options.report(failure);
    this.#send(errorFrame(failure.code, failure.message, channel === undefined ? {} : { channel }));
  }

  /** Ends every subscription and closes the socket with `code`. Safe to call twice. */
  close(code: number, why: string): void {
    if (this.#closed) return;
    // Frames already produced go out before the close frame, unless the reader is the problem.
    if (code !== CloseCode.SlowConsumer) this.#flush();
    if (this.#closed) return; // the flush found a stalled reader and closed with 4408
    this.#closed = true;
    this.#closeCode = [code, why];
    for (const subscription of this.#subscriptions.values()) subscription.close();
    this.#subscriptions.clear();
    this.#socket?.close(code, why);
  }

  /** The socket went away (or never came): release everything without writing to it. */
  dispose(): void {
    this.#socket = undefined;
    this.#early = undefined;
    this.close(...GONE);
  }

  // Bytes of frames this socket can take before its send buffer passes the cap (what
  // a catch-up may hand over now); anything while nothing waits, so one event larger
  // than the cap still goes. Before the upgrade completes, the frames that wait for
  // it are all it takes.
  #room(): number {
    if (this.#closed) return 0;
    if (this.#socket === undefined) return this.#early === undefined ? Number.POSITIVE_INFINITY : 0;
    let waiting = this.#socket.bufferedAmount;
    for (const frame of this.#outbox ?? []) waiting += frame.length;
    return waiting === 0 ? Number.POSITIVE_INFINITY : this.#options.maxBufferedBytes - waiting;
  }

  #send(frame: string, shared = false): void {
    if (this.#closed) return;
    if (this.#socket === undefined) {
      this.#early ??= [];
      this.#early.push(frame);
      return;
    }
    if (this.#outbox === undefined) {
      this.#outbox = [];
      queueMicrotask(() => this.#flush());
    }
    this.#outbox.push(frame);
    if (shared) this.#outboxShared = true;
  }

  #flush(): void {
    const socket = this.#socket;
    const frames = this.#outbox;
    const shared = this.#outboxShared;
    this.#outbox = undefined;
    this.#outboxShared = false;
    if (this.#closed || socket === undefined || frames === undefined) return;
    // What is still queued from earlier writes: a reader that keeps up has drained it.
    if (socket.bufferedAmount > this.#options.maxBufferedBytes) {
      const telemetry = this.#rail.telemetry;
      if (telemetry !== undefined) for (const channel of this.#subscriptions.keys()) telemetry.slowConsumer(channel);
      const error = new SlowConsumerError();
      this.close(wireStatusOf(error).ws ?? CloseCode.SlowConsumer, closeReason(error.code));
      return;
    }
    try {
      writeAll(socket, frames, shared);
    } catch (error) {
      // Runs in a microtask: a throw here would take the process down. A socket that
      // cannot be written to is done; its subscriptions are released.
      this.#options.report(new InternalError('writing to the socket failed', { cause: error }));
      this.dispose();
      try {
        socket.close(CloseCode.InternalError, closeReason('internal_error'));
      } catch {
        // Already broken; nothing more to tell it.
      }
    }
  }

  // The one-channel endpoint's frames are events only: an entry it cannot decode
  // ends it, naming the entry, after every event before it.
  #closeUndecodable(error: ReplayRailError): void {
    const id = error.context.id;
    this.close(CloseCode.UndecodableEntry, closeReason(error.code, typeof id === 'string' ? id : undefined));
  }

  #ended(channel: string, subscription: Subscription, end: ReplayRailError | null, single: boolean): void {
    if (this.#subscriptions.get(channel) === subscription) this.#subscriptions.delete(channel);
    if (end === null || this.#closed) return;
    this.#options.report(end);
    if (!single && isReplayRailError(end, 'replay_window_expired', 'stream_reset')) {
      this.#send(expiredFrame(channel, end.code, end.message));
      return;
    }
    // The one-channel endpoint ends with its socket. Elsewhere, the store is gone or
    // closing: the client reconnects and resumes from its cursors.
    this.close(wireStatusOf(end).ws ?? CloseCode.InternalError, closeReason(end.code));
  }
}

function writeAll(socket: ProtocolSocket, frames: readonly string[], shared = false): void {
  if (socket.sendBatch !== undefined) socket.sendBatch(frames, shared);
  else for (const frame of frames) socket.send(frame);
}
