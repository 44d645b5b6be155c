/**
 * @module
 * `createClient`: one WebSocket to a ReplayRail server for many channels (the
 * multiplexed protocol of docs/protocol.md), or the Python-compatible one-channel
 * URL. It reconnects with backoff and jitter, at once when the browser comes back
 * online or a sleeping tab wakes, drops dead connections, and resubscribes every
 * channel from its cursor, so each handler sees every event once, in order.
 */

import { CloseCode, FATAL_CLOSE_CODES, undecodableEntryOf } from '@replayrail/core/close-codes';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { type CursorStorage, defaultStorage } from './storage.js';
import { ClientSubscription, type SubscribeOptions, type SubscriptionHost } from './subscription.js';
import type { ClientError, ClientState, EventOf } from './types.js';

/**
 * What the client needs of a WebSocket: the browser's (and Node's, Deno's, Bun's
 * global one), or `ws`. The handlers are only ever set by the client, hence `never`:
 * any socket's own handler types fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Options of `createClient`. */
export interface ClientOptions {
  /**
   * The server's multiplexed endpoint, `wss://example.com/ws`; with `single`, a
   * one-channel URL, `wss://example.com/ws/<channel>`.
   */
  url: string;
  /** Serve one channel from a one-channel URL (the Python ReplayRail's endpoint). */
  single?: boolean;
  /** Where cursors are kept. @default localStorage in browsers, memory elsewhere */
  storage?: CursorStorage;
  backoff?: BackoffOptions;
  /**
   * With no traffic for this long, the client pings; with none for twice as long,
   * it drops the connection and reconnects. 0 turns it off (as does `single`, whose
   * endpoint does not answer pings). @default 20000
   */
  heartbeatMs?: number;
  /** @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** Query parameters added on every connect, e.g. a fresh auth token. */
  params?: () => Record<string, string> | Promise<Record<string, string>>;
}

type Listener = (value: never) => void;

const OPEN = 1;

/**
 * Connects to a ReplayRail server. Nothing is sent until the first `subscribe`.
 *
 * @example
 * const client = createClient<{ 'order.created': { order_id: string } }>({ url: 'wss://example.com/ws' });
 * client.subscribe('restaurant:123:orders', (event) => render(event.payload.order_id));
 */
export function createClient<Events = undefined>(options: ClientOptions): ReplayRailClient<Events> {
  return new ReplayRailClient<Events>(options);
}

export class ReplayRailClient<Events = undefined> implements SubscriptionHost {
  readonly storage: CursorStorage;
  readonly #options: ClientOptions;
  readonly #subscriptions = new Map<string, ClientSubscription<EventOf<Events>>>();
  readonly #listeners = new Map<string, Set<Listener>>();
  #socket: WebSocketLike | undefined;
  #state: ClientState = 'connecting';
  #lastError: ClientError | undefined;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stable: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #lastTraffic = 0;
  #hiddenAt = 0;
  #started = false;
  #closedByUser = false;
  readonly #online = (): void => this.#wake();
  readonly #visibility = (): void => {
    const hidden = (globalThis as { document?: { visibilityState?: string } }).document?.visibilityState === 'hidden';
    if (hidden) this.#hiddenAt = Date.now();
    // Back from a long sleep: the socket may be dead without knowing it.
    else if (this.#hiddenAt > 0 && Date.now() - this.#hiddenAt > this.#heartbeatMs()) this.#check();
  };

  readonly #WebSocket: WebSocketConstructor;
  readonly #url: URL;

  constructor(options: ClientOptions) {
    this.#options = options;
    // Bad options fail here, not later inside a reconnect loop.
    this.#url = new URL(options.url);
    this.storage = options.storage ?? defaultStorage();
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketClass === undefined) throw new TypeError('no WebSocket here: pass options.WebSocket');
    this.#WebSocket = WebSocketClass;
  }

  /** Whether it serves one channel from a one-channel URL (`single`). */
  get single(): boolean {
    return this.#options.single === true;
  }

  /** @internal the reconnect steps (`backoff`), which a repeated expiry waits out too */
  get backoff(): BackoffOptions | undefined {
    return this.#options.backoff;
  }

  /** The connection's state. */
  get state(): ClientState {
    return this.#state;
  }

  /** The last error, with the server's code (and close code). */
  get lastError(): ClientError | undefined {
    return this.#lastError;
  }

  /** Listens to state changes or errors; returns the function that stops it. */
  on(type: 'state', listener: (state: ClientState) => void): () => void;
  on(type: 'error', listener: (error: ClientError) => void): () => void;
  on(type: string, listener: Listener): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    this.#listeners.set(type, set.add(listener));
    return () => set.delete(listener);
  }

  /**
   * Receives a channel's events, each once, in order: `onEvent` gets the next one
   * only when it returned (or its promise resolved), and the cursor moves then.
   */
  subscribe(
    channel: string,
    onEvent: (event: EventOf<Events>) => void | Promise<void>,
    options: SubscribeOptions = {},
  ): ClientSubscription<EventOf<Events>> {
    if (this.#subscriptions.has(channel) || (this.#options.single && this.#subscriptions.size > 0)) {
      throw new Error(`already subscribed to ${channel}${this.#options.single ? ' (single: one channel)' : ''}`);
    }
    const subscription = new ClientSubscription(channel, onEvent, options, this);
    this.#subscriptions.set(channel, subscription);
    return subscription;
  }

  /** Connects again at once, also after a fatal error (say, with a fresh token from `params`). */
  reconnect(): void {
    if (this.#closedByUser || !this.#started) return;
    this.#attempt = 0;
    if (this.#state === 'closed') this.#listen(true);
    this.#wake();
  }

  /** Closes the connection for good. */
  close(): void {
    this.#closedByUser = true;
    this.#end();
    this.#drop()?.close(CloseCode.Normal);
  }

  /** @internal */
  request(subscription: ClientSubscription<never>): void {
    subscription.ready = true;
    if (subscription.closed) return;
    if (!this.#started) {
      this.#started = true;
      this.#listen(true);
      void this.#connect();
    } else if (!this.#options.single) this.#send(subscription);
    else {
      // The one channel starts from its URL: connect again from its new position.
      this.#drop()?.close(CloseCode.Normal);
      this.#wake();
    }
  }

  /** @internal */
  remove(subscription: ClientSubscription<never>, notify: boolean): void {
    this.#subscriptions.delete(subscription.channel);
    if (notify && !this.#options.single && this.#socket?.readyState === OPEN) {
      this.#socket.send(JSON.stringify({ op: 'unsubscribe', channel: subscription.channel }));
    }
  }

  /** @internal */
  report(error: ClientError): void {
    this.#lastError = error;
    this.#emit('error', error);
  }

  #heartbeatMs(): number {
    return this.#options.single ? 0 : (this.#options.heartbeatMs ?? 20_000);
  }

  #emit(type: string, value: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) (listener as (value: unknown) => void)(value);
  }

  #setState(state: ClientState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit('state', state);
  }

  #listen(on: boolean): void {
    const method = on ? 'addEventListener' : 'removeEventListener';
    const scope = globalThis as { document?: EventTarget } & Partial<EventTarget>;
    scope[method]?.('online', this.#online);
    scope.document?.[method]('visibilitychange', this.#visibility);
  }

  // Closed for good (by `close()` or a fatal close code): no timers, no listeners.
  #end(): void {
    this.#setState('closed');
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#listen(false);
  }

  // Lets go of the socket at once: a dead one may take minutes to report its close.
  #drop(): WebSocketLike | undefined {
    const socket = this.#socket;
    this.#socket = undefined;
    clearTimeout(this.#stable);
    clearInterval(this.#heartbeat);
    if (socket) socket.onclose = socket.onmessage = null;
    return socket;
  }

  async #connect(): Promise<void> {
    this.#timer = undefined;
    const single = this.#options.single === true;
    const url = new URL(this.#url);
    let params: Record<string, string> | undefined;
    try {
      params = await this.#options.params?.();
    } catch (error) {
      this.#retry({ code: 'params_failed', message: String(error) });
      return;
    }
    if (this.#state === 'closed' || this.#socket !== undefined) return;
    for (const [key, value] of Object.entries(params ?? {})) url.searchParams.set(key, value);
    const first = single ? [...this.#subscriptions.values()][0] : undefined;
    if (first?.cursor) url.searchParams.set('last_event_id', first.cursor);
    else if (first) url.searchParams.set('from', first.from);
    // This endpoint sends no `subscribed`: a snapshot starts when the socket opens.
    const snapshot = url.searchParams.get('from') === 'snapshot';
    let socket: WebSocketLike;
    try {
      socket = single ? new this.#WebSocket(url.href) : new this.#WebSocket(url.href, 'replayrail.v1');
    } catch (error) {
      // The WebSocket refused the URL (say, http: where ws: was meant): retrying cannot help.
      this.report({ code: 'invalid_url', message: String(error) });
      this.#end();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      this.#lastTraffic = Date.now();
      this.#setState('open');
      // Only a connection that stays up resets the backoff (a server that accepts,
      // then drops at once, must not be hammered).
      this.#stable = setTimeout(() => {
        this.#attempt = 0;
      }, this.#options.backoff?.stableMs ?? 10_000);
      const heartbeatMs = this.#heartbeatMs();
      if (heartbeatMs > 0) this.#heartbeat = setInterval(() => this.#check(), heartbeatMs / 2);
      for (const subscription of this.#subscriptions.values()) {
        // The one-channel endpoint never says when its replay ends.
        subscription.setState(single ? 'live' : 'replaying');
        if (snapshot) subscription.started(null, true);
        if (!single && subscription.ready) this.#send(subscription);
      }
    };
    socket.onmessage = (event: { data: unknown }) => this.#receive(String(event.data));
    socket.onerror = () => {};
    socket.onclose = ({ code, reason }: { code: number; reason: string }) => {
      this.#drop();
      const error: ClientError = { code: reason || 'connection_lost', message: `closed with ${code}`, closeCode: code };
      const undecodable = code === CloseCode.UndecodableEntry ? undecodableEntryOf(reason) : undefined;
      if (FATAL_CLOSE_CODES.includes(code)) {
        this.report(error);
        this.#end();
      } else if (code === CloseCode.HistoryLost && first) {
        // The one-channel endpoint's expiry: the subscription resyncs, then asks again.
        this.#setState('reconnecting');
        first.expired({ channel: first.channel, code: reason, message: 'cursor older than the server retains' });
      } else if (undecodable !== undefined && first) {
        // The one-channel endpoint ends at an entry it cannot decode: go on after it.
        this.#setState('reconnecting');
        first.skipped(undecodable, { ...error, code: 'serialization_error', channel: first.channel });
      } else this.#retry(error);
    };
  }

  #retry(error: ClientError): void {
    this.report(error);
    this.#setState('reconnecting');
    this.#timer = setTimeout(() => void this.#connect(), backoffDelay(this.#attempt++, this.#options.backoff));
  }

  // Connects now instead of waiting out the backoff (online again, tab awake, asked to).
  #wake(): void {
    if (this.#closedByUser || this.#socket !== undefined || !this.#started) return;
    clearTimeout(this.#timer);
    this.#setState('reconnecting');
    void this.#connect();
  }

  // Liveness: ping after a quiet spell; drop the socket after a silent one.
  #check(): void {
    const socket = this.#socket;
    if (socket === undefined) {
      this.#wake();
      return;
    }
    if (socket.readyState !== OPEN) return;
    const quiet = Date.now() - this.#lastTraffic;
    const heartbeatMs = this.#heartbeatMs();
    if (quiet >= 2 * heartbeatMs) {
      this.#drop()?.close(CloseCode.NoTraffic, 'no traffic');
      this.#retry({ code: 'no_traffic', message: `nothing heard for ${quiet} ms` });
    } else if (quiet >= heartbeatMs / 2) socket.send('{"op":"ping"}');
  }

  #send(subscription: ClientSubscription<never>): void {
    if (this.#socket?.readyState !== OPEN) return;
    const start = subscription.cursor === null ? { from: subscription.from } : { after: subscription.cursor };
    this.#socket.send(JSON.stringify({ op: 'subscribe', channel: subscription.channel, ...start }));
  }

  #receive(text: string): void {
    this.#lastTraffic = Date.now();
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const channel = frame.channel as string;
    const subscription = this.#options.single ? [...this.#subscriptions.values()][0] : this.#subscriptions.get(channel);
    switch (frame.op) {
      case undefined:
        subscription?.deliver(frame as unknown as EventOf<Events>);
        return;
      case 'subscribed':
        subscription?.started(frame.cursor as string | null, frame.snapshot as boolean | undefined);
        return;
      case 'live':
        subscription?.setState('live');
        return;
      case 'expired':
        subscription?.expired({ channel, code: frame.code as string, message: frame.message as string });
        return;
      case 'error': {
        const error = { code: frame.code as string, message: frame.message as string, channel };
        // With an id, one stored entry could not be decoded and was skipped; the subscription goes on.
        if (typeof frame.id === 'string' && subscription !== undefined) subscription.skipped(frame.id, error);
        else if (subscription === undefined || frame.id !== undefined) this.report(error);
        else subscription.fail(error);
      }
    }
  }
}
