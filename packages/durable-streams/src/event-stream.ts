/**
 * @module
 * A Server-Sent Events response body written by a loop: `write` waits while the
 * client is slow to read (backpressure), every way the response ends (the loop
 * returns, the client leaves, the routes close) ends it once, and the protocol's
 * `data` and `control` events are formatted here (PROTOCOL.md section 5.8).
 */

const encoder = new TextEncoder();

/** An event stream being written. */
export interface EventStreamWriter {
  /** Aborted when the client leaves or the stream is ended from outside. */
  readonly signal: AbortSignal;
  /** Writes text or its bytes; resolves once the client has room for more (or has left). */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Ends the response. */
  end(): void;
}

/**
 * A response body and its writer. `gone` is the request's signal (aborted when the
 * client leaves), so the loop stops even before the body is first pulled.
 */
export function eventStream(gone: AbortSignal): { body: ReadableStream<Uint8Array>; writer: EventStreamWriter } {
  const abort = new AbortController();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let room: (() => void) | undefined;
  let ended = false;
  const release = () => {
    const resume = room;
    room = undefined;
    resume?.();
  };
  const stop = () => {
    if (!abort.signal.aborted) abort.abort();
    release();
  };
  if (gone.aborted) stop();
  else gone.addEventListener('abort', stop, { once: true });
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        release();
      },
      cancel() {
        ended = true;
        stop();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
  );
  const writer: EventStreamWriter = {
    signal: abort.signal,
    async write(chunk) {
      if (ended || controller === undefined) return;
      controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      if ((controller.desiredSize ?? 1) <= 0 && !abort.signal.aborted) {
        await new Promise<void>((resolve) => {
          room = resolve;
        });
      }
    },
    end() {
      if (ended) return;
      ended = true;
      gone.removeEventListener('abort', stop);
      try {
        controller?.close();
      } catch {
        // already errored or cancelled
      }
      stop();
    },
  };
  return { body, writer };
}

/**
 * An SSE event: `event: <type>`, then the payload as `data:` lines. Every line break
 * of the payload (CRLF, CR or LF) starts a new `data:` line, so no payload can end
 * the event early or inject another (the client joins the lines with LF). A client
 * strips one space after `data:`: a line is written right after the colon, as the
 * reference server writes it, unless it starts with a space, which then gets one more.
 */
export function sseEvent(type: string, payload: string): string {
  return `event: ${type}\n${payload
    .split(/\r\n|\r|\n/)
    .map((line) => (line.startsWith(' ') ? `data: ${line}` : `data:${line}`))
    .join('\n')}\n\n`;
}

/** A `control` event (section 5.8). */
export interface ControlEvent {
  readonly streamNextOffset: string;
  readonly streamCursor?: string;
  readonly upToDate?: boolean;
  readonly streamClosed?: boolean;
}

export function controlEvent(control: ControlEvent): string {
  return sseEvent('control', JSON.stringify(control));
}
