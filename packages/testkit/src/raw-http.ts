import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';

/** A request as sent, byte for byte where it matters: the path is never normalized. */
export interface RawRequest {
  readonly method?: string;
  /** The request target as sent (`/ws/a/../b` stays so: Node's client does not resolve it). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What the server answered, and after a 101, what the socket did. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** After a 101: the close frame the server sent, or undefined when the socket stayed open. */
  readonly close?: { readonly code: number; readonly reason: string };
  /** After a 101: the text frames the server sent. */
  readonly frames: readonly string[];
}

/** The headers of a complete WebSocket handshake (a fixed, valid key). */
export const UPGRADE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
});

/**
 * The frames a server sent on an upgraded socket (servers do not mask): text frames,
 * and the close frame's code and reason.
 */
function readFrames(socket: Duplex, head: Buffer, openMs: number): Promise<Pick<RawAnswer, 'close' | 'frames'>> {
  return new Promise((resolve) => {
    let buffer = head;
    const frames: string[] = [];
    let settled = false;
    const done = (close?: { code: number; reason: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ frames, ...(close !== undefined && { close }) });
    };
    const timer = setTimeout(() => done(), openMs);
    const parse = (): void => {
      while (buffer.length >= 2) {
        const opcode = (buffer[0] as number) & 0x0f;
        let length = (buffer[1] as number) & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return;
        const payload = buffer.subarray(offset, offset + length);
        buffer = buffer.subarray(offset + length);
        if (opcode === 1) frames.push(payload.toString());
        if (opcode === 8) {
          done({
            code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
            reason: payload.subarray(2).toString(),
          });
          return;
        }
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      parse();
    });
    socket.on('error', () => done());
    socket.on('close', () => done({ code: 1006, reason: '' }));
    parse();
  });
}

/**
 * Sends one request with Node's HTTP client, which sends the path as given, and
 * resolves with the answer. After a 101 it listens to the socket for `openMs`: a
 * close frame in that time is the answer's `close`, none means the socket stayed open.
 */
export function rawRequest(
  port: number,
  request: RawRequest,
  options: { agent?: Agent; openMs?: number; answerMs?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    // A server that never answers: status 0, after `answerMs`.
    const silence = setTimeout(() => {
      outgoing.destroy();
      resolve({ status: 0, headers: {}, body: '', frames: [] });
    }, options.answerMs ?? 3_000);
    const outgoing = httpRequest({
      host: '127.0.0.1',
      port,
      method: request.method ?? 'GET',
      path: request.path,
      headers: { ...request.headers },
      ...(options.agent !== undefined ? { agent: options.agent } : { agent: false }),
    });
    outgoing.on('error', (error) => {
      clearTimeout(silence);
      reject(error);
    });
    outgoing.on('upgrade', (response, socket, head) => {
      clearTimeout(silence);
      void readFrames(socket, head, options.openMs ?? 150).then((after) =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '', ...after }),
      );
    });
    outgoing.on('response', (response) => {
      clearTimeout(silence);
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('error', () => {});
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, frames: [] }),
      );
      // An event stream never ends by itself: its first bytes are answer enough.
      if (String(response.headers['content-type']).startsWith('text/event-stream')) {
        response.once('data', () => {
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, frames: [] });
          response.destroy();
        });
      }
    });
    outgoing.end(request.body);
  });
}

/**
 * Bytes over TCP as they are (framing no HTTP client would send: a body cut short,
 * a chunk size that is not hex). `hangUpAfterMs`: the client then drops the
 * connection; `endAfterMs`: it only stops sending (a FIN) and keeps reading.
 * Resolves with everything the server sent once the connection is gone.
 */
export function rawBytes(port: number, bytes: string, hangUpAfterMs?: number, endAfterMs?: number): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = tcpConnect(port, '127.0.0.1', () => {
      socket.write(bytes);
      if (hangUpAfterMs !== undefined) setTimeout(() => socket.destroy(), hangUpAfterMs);
      if (endAfterMs !== undefined) setTimeout(() => socket.end(), endAfterMs);
    });
    socket.on('data', (data) => {
      answer += data.toString();
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
  });
}
