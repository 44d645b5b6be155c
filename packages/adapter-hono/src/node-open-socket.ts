// biome-ignore-all lint/correctness/noNodejsModules: part of the Node-only entry (`/node`), never loaded by the main one.
/**
 * @module
 * An open `ws` socket as Hono's `WSEvents` see it, for `createNodeWebSocket`
 * (node-websocket.ts). What a socket keeps for its life is only what its events
 * need: the `ws` socket, Hono's `WSContext` around it, the events and the error
 * hook. Nothing of the upgrade's request (its `Context`, `Request`, headers, Node's
 * `IncomingMessage`) is reachable from here: an idle socket costs what the socket costs.
 */

import { createWSMessageEvent, WSContext, type WSContextInit, type WSEvents, type WSReadyState } from 'hono/ws';
import type { WebSocket } from 'ws';

/** What an upgrade the helper took on brings to its socket: nothing of the request but its URL, as text. */
export interface Accepted {
  readonly events: WSEvents<WebSocket>;
  /** Where a throw from one of `events` goes. */
  readonly onError: (error: unknown) => void;
  /** The request's URL, for `WSContext.url`. */
  readonly url: string;
}

interface CloseInit {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** Node 23 and later have `CloseEvent`; on Node 22, this one, with the same three fields. */
const CloseEventClass: new (type: string, init: CloseInit) => Event =
  globalThis.CloseEvent ??
  class extends Event {
    readonly code: number;
    readonly reason: string;
    readonly wasClean: boolean;
    constructor(type: string, init: CloseInit) {
      super(type);
      this.code = init.code;
      this.reason = init.reason;
      this.wasClean = init.wasClean;
    }
  };

/**
 * One open socket: the `WSContextInit` its `WSContext` wraps (so `send`, `close` and
 * `readyState` reach `ws` without a closure each), and what its listeners call.
 */
class OpenSocket implements WSContextInit<WebSocket> {
  readonly context: WSContext<WebSocket>;
  readonly #events: WSEvents<WebSocket>;
  readonly #onError: (error: unknown) => void;
  // Read once, by the `WSContext` constructor, which keeps a `URL` of its own.
  url: string | null;

  constructor(
    readonly raw: WebSocket,
    accepted: Accepted,
  ) {
    this.#events = accepted.events;
    this.#onError = accepted.onError;
    this.url = accepted.url;
    this.context = new WSContext(this);
    this.url = null;
  }

  get readyState(): WSReadyState {
    return this.raw.readyState;
  }

  get protocol(): string {
    return this.raw.protocol;
  }

  send(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>, options: { compress?: boolean }): void {
    this.raw.send(data, options);
  }

  close(code?: number, reason?: string): void {
    this.raw.close(code, reason);
  }

  /** Calls one of the events; a throw goes to the helper's `onError`, never up into `ws`. */
  call(name: 'onOpen' | 'onMessage' | 'onClose' | 'onError', event: Event): void {
    try {
      (this.#events[name] as ((event: Event, ws: WSContext<WebSocket>) => void) | undefined)?.(event, this.context);
    } catch (error) {
      this.#onError(error);
    }
  }
}

// The open socket of each `ws` socket, for the listeners below: the same three
// functions for every socket instead of three closures each.
const openOf = new WeakMap<WebSocket, OpenSocket>();

/** A message as Hono hands it over: text as a string, binary as an ArrayBuffer of its own. */
function messageData(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): string | ArrayBuffer {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : data;
  if (bytes instanceof ArrayBuffer) return isBinary ? bytes : Buffer.from(bytes).toString('utf8');
  if (!isBinary) return bytes.toString('utf8');
  // A copy: `ws` may hand over a view of a larger buffer it reuses.
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function onMessage(this: WebSocket, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  openOf.get(this)?.call('onMessage', createWSMessageEvent(messageData(data, isBinary)));
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const open = openOf.get(this);
  openOf.delete(this);
  // 1006: `ws`'s code for a connection that ended without a close frame.
  const init = { code, reason: reason.toString('utf8'), wasClean: code !== 1006 };
  open?.call('onClose', new CloseEventClass('close', init));
}

// `ws` throws an 'error' nobody listens to, so this listener is always there.
function onError(this: WebSocket, error: Error): void {
  // Node has no `ErrorEvent`: an 'error' Event carrying the error, as ErrorEvent would.
  openOf.get(this)?.call('onError', Object.assign(new Event('error'), { error, message: error.message }));
}

/**
 * Serves an upgraded socket with the events of the upgrade that asked for it:
 * listeners first, then `onOpen`, both before `ws` can emit anything (it reads even
 * a frame that came in the handshake's own packet on a later tick). So every message
 * reaches `onMessage` after `onOpen` and in order, with no buffer to hold the early
 * ones as @hono/node-ws keeps for the time between the upgrade and its `onOpen`
 * (node-websocket.test.ts sends one in the handshake's packet).
 */
export function openSocket(raw: WebSocket, accepted: Accepted): void {
  const open = new OpenSocket(raw, accepted);
  openOf.set(raw, open);
  raw.on('message', onMessage);
  raw.on('close', onClose);
  raw.on('error', onError);
  open.call('onOpen', new Event('open'));
}
