/**
 * @module
 * Writing one event to many WebSockets cheaply, for every transport whose sockets
 * are `ws` sockets (server-ws; the Hono adapter on Node). `ws.send` frames a text
 * again for every socket (encode to UTF-8, build a header, write); in a fanout the
 * bytes are the same each time. Here a text is framed once (RFC 6455: a final,
 * unmasked text frame) into one buffer that every socket gets (`FrameCache`), and
 * the frames of one read batch go to a socket in one corked write (`writeFrames`).
 *
 * Writing under a `ws` WebSocket uses its internals, found by looking, never
 * imported: `_socket` (the network socket) and `_sender` (whose queue must be empty
 * and which must be idle: `_state` 0 from ws 8.18, `_deflating` false before). When
 * they are missing or busy (another library, another version, a frame being
 * compressed), the frames go through the public `send`, in order. Server frames
 * are never masked and a frame is written whole, so a raw frame and one ws sent
 * are the same on the wire. Runtime-agnostic: it only calls methods it finds.
 */

import { utf8Length } from '../json.js';

/** A text message framed once: header and payload in one buffer, ready for any socket. */
export interface PreparedFrame {
  readonly text: string;
  readonly bytes: Uint8Array;
}

const encoder = new TextEncoder();

// Frames are carved out of shared slabs, as Node's Buffer pool does: a typed array
// of more than a few dozen bytes is an allocation outside the JS heap, and one per
// frame is what a catch-up (a frame per event per socket) paid most for. A slab is
// let go once no frame in it is referenced (each frame lives until its socket wrote it).
const SLAB_BYTES = 64 * 1024;
// A text whose UTF-8 form may exceed this (3 bytes per UTF-16 unit at most) gets a
// buffer of its own, so a slab always holds a few frames.
const SLAB_FRAME_MAX = SLAB_BYTES / 4;
// The longest header (64-bit length): the payload is encoded after room for it, the
// header written right before the payload once its length is known.
const MAX_HEADER = 10;

let slab = new Uint8Array(0);
let slabUsed = 0;

// Node's sockets take a Buffer as it is and wrap any other Uint8Array in a new Buffer
// on every write: a frame that hundreds of sockets get is made a Buffer view once,
// where the runtime has Buffer (looked up, never imported: core runs anywhere).
const NodeBuffer = (globalThis as { Buffer?: { from(bytes: ArrayBufferLike, at: number, length: number): Uint8Array } })
  .Buffer;

/** `bytes` from `start` to `end`, without a copy: a Buffer where there are Buffers. */
function frameView(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return NodeBuffer === undefined
    ? bytes.subarray(start, end)
    : NodeBuffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
}

function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

function writeHeader(bytes: Uint8Array, at: number, length: number): void {
  bytes[at] = 0x81; // FIN, opcode 1 (text)
  if (length < 126) bytes[at + 1] = length;
  else if (length < 65_536) {
    bytes[at + 1] = 126;
    bytes[at + 2] = length >>> 8;
    bytes[at + 3] = length & 0xff;
  } else {
    bytes[at + 1] = 127;
    const view = new DataView(bytes.buffer, bytes.byteOffset + at + 2, 8);
    view.setUint32(0, Math.floor(length / 2 ** 32));
    view.setUint32(4, length >>> 0);
  }
}

/** Frames a text message as a server does (final, text, unmasked). */
export function prepareFrame(text: string): PreparedFrame {
  const most = text.length * 3;
  if (most > SLAB_FRAME_MAX) {
    const length = utf8Length(text);
    const header = headerLength(length);
    const bytes = new Uint8Array(header + length);
    writeHeader(bytes, 0, length);
    encoder.encodeInto(text, bytes.subarray(header));
    return { text, bytes: frameView(bytes, 0, bytes.length) };
  }
  if (slab.length - slabUsed < MAX_HEADER + most) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  // One pass: encoded straight into the slab, which has room for the worst case.
  const payload = slabUsed + MAX_HEADER;
  const { written } = encoder.encodeInto(text, slab.subarray(payload, payload + most));
  const start = payload - headerLength(written);
  writeHeader(slab, start, written);
  slabUsed = payload + written;
  return { text, bytes: frameView(slab, start, payload + written) };
}

/**
 * The messages framed in the current turn: a feed hands each event's text (the
 * very same string) to every socket, and the sockets' sessions write in the
 * microtasks that follow, so each text is framed once. Emptied in a microtask
 * queued after those writes, so it holds one batch at most.
 */
export class FrameCache {
  readonly #frames = new Map<string, PreparedFrame>();
  #clearing = false;

  /** `texts` framed: through the cache when `shared` (see `ProtocolSocket.sendBatch`), else each on its own. */
  frames(texts: readonly string[], shared: boolean): PreparedFrame[] {
    return shared ? texts.map((text) => this.frame(text)) : texts.map(prepareFrame);
  }

  frame(text: string): PreparedFrame {
    let prepared = this.#frames.get(text);
    if (prepared === undefined) {
      prepared = prepareFrame(text);
      this.#frames.set(text, prepared);
      if (!this.#clearing) {
        this.#clearing = true;
        queueMicrotask(() => {
          this.#frames.clear();
          this.#clearing = false;
        });
      }
    }
    return prepared;
  }
}

/** What the fast path needs of a `ws` WebSocket, looked up, never imported. */
interface WsInternals {
  readonly readyState?: number;
  readonly _socket?: { write?(bytes: Uint8Array): unknown; cork?(): void; uncork?(): void };
  readonly _sender?: { readonly _queue?: unknown[]; readonly _state?: number; readonly _deflating?: boolean };
}

const OPEN = 1;

// The network socket under `ws`, when raw frames may go straight to it now: the
// WebSocket is open and its sender has nothing queued or in progress (so no frame
// it was given can come after ours).
function rawSocket(ws: unknown): NonNullable<WsInternals['_socket']> | undefined {
  if (typeof ws !== 'object' || ws === null) return undefined;
  const { readyState, _socket: socket, _sender: sender } = ws as WsInternals;
  if (readyState !== OPEN || typeof socket?.write !== 'function' || sender === undefined) return undefined;
  if (!Array.isArray(sender._queue) || sender._queue.length > 0) return undefined;
  const idle = typeof sender._state === 'number' ? sender._state === 0 : sender._deflating === false;
  return idle ? socket : undefined;
}

/**
 * Writes prepared frames on `ws` (a `ws` WebSocket) in one corked write when its
 * internals allow, else through `fallback.send` one by one, in order: the public
 * API of the same socket (`ws` itself, or a wrapper such as Hono's `WSContext`).
 */
export function writeFrames(
  ws: unknown,
  frames: readonly PreparedFrame[],
  fallback: { send(text: string): void },
): void {
  const socket = rawSocket(ws);
  if (socket === undefined) {
    for (const frame of frames) fallback.send(frame.text);
    return;
  }
  if (frames.length === 1) {
    socket.write?.((frames[0] as PreparedFrame).bytes);
    return;
  }
  socket.cork?.();
  for (const frame of frames) socket.write?.(frame.bytes);
  socket.uncork?.();
}
