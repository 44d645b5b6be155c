/**
 * @module
 * A request body read within a limit, for HTTP transports: a declared length over
 * the limit is refused unread, a body that grows past it is no longer read. The
 * transport hands over the body's chunks however its server gives them (Node's
 * request under @hono/node-server, a Web `Request` stream elsewhere).
 */

import { EventTooLargeError, RequestAbortedError } from '../errors.js';

/**
 * A request body's chunks. Under @hono/node-server they come straight from Node's
 * request (the `incoming` binding of the server's `env`): building the Web `Request`
 * body stream costs several times the rest of a publish there. Elsewhere, the
 * Request's own stream, asked for (`body`) only then.
 */
export function requestChunks(
  env: unknown,
  body: () => ReadableStream<Uint8Array> | null,
): AsyncIterator<Uint8Array> | undefined {
  const incoming = (env as { incoming?: Partial<AsyncIterable<Uint8Array>> } | undefined)?.incoming;
  const iterate = incoming?.[Symbol.asyncIterator];
  if (typeof iterate === 'function') return iterate.call(incoming);
  const reader = body()?.getReader();
  if (reader === undefined) return undefined;
  return {
    next: async () => {
      const { done, value } = await reader.read();
      return done ? { done: true, value: undefined } : { done: false, value };
    },
  };
}

/**
 * The body's bytes, at most `maxBytes`; `EventTooLargeError` (413) past that, before
 * more is read, and `RequestAbortedError` when the client hung up mid-body or broke
 * its framing. `source` undefined: an empty body.
 */
export async function readBodyWithin(
  source: AsyncIterator<Uint8Array> | undefined,
  declaredLength: string | undefined,
  maxBytes: number,
): Promise<Uint8Array> {
  const tooLarge = () =>
    new EventTooLargeError(`request body is over ${maxBytes} bytes (maxBodyBytes)`, { context: { maxBytes } });
  if (Number(declaredLength ?? Number.NaN) > maxBytes) throw tooLarge();
  if (source === undefined) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await source.next();
    } catch (error) {
      throw new RequestAbortedError(undefined, { cause: error });
    }
    if (next.done === true) break;
    size += next.value.byteLength;
    // Not `return()`-ed: on Node that would destroy the socket the 413 goes out on.
    if (size > maxBytes) throw tooLarge();
    chunks.push(next.value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
