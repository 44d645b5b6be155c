/**
 * @module
 * Writing one event to many sockets cheaply. `ws.send` frames the message again for
 * every socket (encode to UTF-8, build a header, two writes); for a fanout the
 * bytes are the same each time. Here a message is framed once (`Sender.frame`, ws's
 * public framing function) into one buffer, and that buffer is written to every
 * socket; the frames of one read batch go to a socket in one write.
 *
 * Writing to the socket under a `ws` WebSocket uses ws internals (`_socket`,
 * `_sender`); this is the only module that does, and it falls back to `ws.send`
 * whenever the fast path's preconditions do not hold. It is correct because
 * server frames are never masked, compression is off, and a frame is written whole.
 */

import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import { WebSocket } from 'ws';

// ws exports its Sender class (and documents `Sender.frame` as public), but
// @types/ws does not declare it.
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] };
};

/** A text message framed once: header and payload in one buffer, ready for any socket. */
export interface PreparedFrame {
  readonly text: string;
  readonly bytes: Buffer;
}

/** Frames a text message as a server (unmasked, final, opcode 1). */
export function prepareFrame(text: string): PreparedFrame {
  const parts = Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false });
  return { text, bytes: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts) };
}

/**
 * Remembers the messages framed in the current turn of the event loop: a feed hands
 * each event's text (the very same string) to every socket, so each is framed once.
 * Emptied on the next turn, so it holds one batch at most.
 */
export class FrameCache {
  readonly #frames = new Map<string, PreparedFrame>();
  #clearing = false;

  frame(text: string): PreparedFrame {
    let prepared = this.#frames.get(text);
    if (prepared === undefined) {
      prepared = prepareFrame(text);
      this.#frames.set(text, prepared);
      if (!this.#clearing) {
        this.#clearing = true;
        setImmediate(() => {
          this.#frames.clear();
          this.#clearing = false;
        });
      }
    }
    return prepared;
  }
}

interface WebSocketInternals {
  _socket?: Socket;
  _sender?: { _queue?: unknown[]; _state?: number };
}

/**
 * Sends prepared frames on `ws` in one write (corked), raw when possible, else
 * through `ws.send` one by one.
 */
export function sendPrepared(ws: WebSocket, frames: readonly PreparedFrame[]): void {
  const internals = ws as unknown as WebSocketInternals;
  const socket = internals._socket;
  const sender = internals._sender;
  // ws queues frames while it is busy (e.g. compressing); never jump that queue.
  if (
    ws.readyState !== WebSocket.OPEN ||
    socket === undefined ||
    (sender?._queue?.length ?? 0) > 0 ||
    sender?._state !== 0
  ) {
    for (const frame of frames) ws.send(frame.text);
    return;
  }
  if (frames.length === 1) {
    socket.write((frames[0] as PreparedFrame).bytes);
    return;
  }
  socket.cork();
  for (const frame of frames) socket.write(frame.bytes);
  socket.uncork();
}
