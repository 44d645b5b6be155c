/**
 * @module
 * Fanout benchmark, the floor: the least a server can do to give the benchmark's
 * subscribers what server-ws gives them, and so the target the ReplayRail servers are
 * held to. A plain `ws` WebSocketServer on `node:http`, serving only what
 * subscriber.ts asks of server-ws: `/ws/<channel>` (from now) and
 * `/ws/<channel>?last_event_id=<cursor>` (after it), each text frame one event as
 * server-ws frames it (docs/protocol.md), read from the stream the ReplayRail
 * publisher writes. Per channel one shared blocking `XREAD` while it has sockets,
 * each entry framed once (its stored JSON fields spliced in, nothing parsed) and a
 * read batch written to every socket in one corked write; a cursor's catch-up pages
 * `XRANGE` by 1,000, framed once, then joins the live read where it stands.
 *
 * Left out on purpose, as it is no part of what the benchmark measures: admission,
 * authorization, validation and decoding of entries, expiry and reset detection
 * (the driver runs the expired case without the floor), heartbeats, backpressure,
 * the multiplexed endpoint. A channel's live read has a Redis connection of its own
 * (the benchmark serves one channel per server).
 */

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import { type WebSocket, WebSocketServer } from 'ws';

/** A stream entry as ioredis returns it: its ID and its fields, name and value in turn. */
type Entry = [id: string, fields: string[]];

/** The floor's server, as server.ts drives it. */
export interface Floor {
  readonly port: number;
  connections(): number;
  close(): Promise<void>;
}

const PAGE = 1_000;
const ignore = (): void => {};

/** Stream IDs compared as numbers (`<ms>-<seq>`), never as text. */
function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs === bMs ? aSeq - bSeq : aMs - bMs;
}

/**
 * An entry as server-ws frames it (`{"id","event_id","channel","type","payload",
 * "actor","metadata","created_at"}`): the stored JSON fields go in as stored.
 */
function envelope([id, fields]: Entry): string {
  const field: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) field[fields[i] as string] = fields[i + 1] as string;
  return `{"id":"${id}","event_id":${JSON.stringify(field.event_id || id)},"channel":${JSON.stringify(field.channel)},"type":${JSON.stringify(field.type)},"payload":${field.payload},"actor":${field.actor || 'null'},"metadata":${field.metadata ?? '{}'},"created_at":${JSON.stringify(field.created_at)}}`;
}

/** A text as a server's WebSocket frame (final, text, unmasked), built once for every socket. */
function frame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const bytes = Buffer.allocUnsafe(header + length);
  bytes[0] = 0x81;
  if (header === 2) bytes[1] = length;
  else if (header === 4) {
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes[1] = 127;
    bytes.writeBigUInt64BE(BigInt(length), 2);
  }
  bytes.write(text, header);
  return bytes;
}

/** The network socket under a `ws` WebSocket, where the frames go straight (ws sends nothing else here). */
const networkSocket = (ws: WebSocket): Socket => (ws as unknown as { _socket: Socket })._socket;

/** Writes a batch of frames to one socket: one corked write. */
function writeBatch(ws: WebSocket, frames: readonly Buffer[]): void {
  if (ws.readyState !== ws.OPEN) return;
  const socket = networkSocket(ws);
  socket.cork();
  for (const bytes of frames) socket.write(bytes);
  socket.uncork();
}

/** One channel's live read: one blocking `XREAD` for all its sockets, from `last` on. */
class Feed {
  readonly sockets = new Set<WebSocket>();
  // Sockets that joined from a cursor beyond `last` (their catch-up read further
  // than the live read had): the entries up to that cursor they already have.
  readonly #after = new Map<WebSocket, string>();
  readonly #reader: Redis;
  readonly #onStop: () => void;
  #last = '0-0';
  #stopped = false;
  readonly ready: Promise<void>;

  constructor(
    redis: Redis,
    readonly key: string,
    onStop: () => void,
  ) {
    this.#onStop = onStop;
    this.#reader = redis.duplicate();
    this.#reader.on('error', () => {});
    // Where "now" is: the stream's last entry, a real ID (never `$`, which a second read would move).
    this.ready = redis.xrevrange(key, '+', '-', 'COUNT', 1).then((last) => {
      this.#last = last[0]?.[0] ?? '0-0';
      void this.#run();
    });
  }

  get last(): string {
    return this.#last;
  }

  /** Adds a socket that has everything up to `cursor` (no cursor: up to `last`). Call right after checking `last`. */
  join(ws: WebSocket, cursor?: string): void {
    this.sockets.add(ws);
    if (cursor !== undefined && compareIds(cursor, this.#last) > 0) this.#after.set(ws, cursor);
  }

  leave(ws: WebSocket): void {
    this.sockets.delete(ws);
    this.#after.delete(ws);
    if (this.sockets.size === 0) this.stop();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#onStop();
    this.#reader.disconnect(); // ends the blocked XREAD
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let reply: [string, Entry[]][] | null;
      try {
        reply = (await this.#reader.xread('COUNT', PAGE, 'BLOCK', 0, 'STREAMS', this.key, this.#last)) as
          | [string, Entry[]][]
          | null;
      } catch {
        return; // stopped
      }
      const entries = reply?.[0]?.[1];
      if (entries === undefined || entries.length === 0) continue;
      this.#last = (entries.at(-1) as Entry)[0];
      const frames = entries.map((entry) => frame(envelope(entry)));
      for (const ws of this.sockets) {
        const after = this.#after.get(ws);
        if (after === undefined) writeBatch(ws, frames);
        else {
          writeBatch(
            ws,
            frames.filter((_, i) => compareIds((entries[i] as Entry)[0], after) > 0),
          );
          if (compareIds(this.#last, after) >= 0) this.#after.delete(ws);
        }
      }
    }
  }
}

/** Starts the floor on 127.0.0.1: `streamPrefix` is the publisher's (`<streamPrefix>:<channel>`). */
export async function startFloor(redis: Redis, streamPrefix: string): Promise<Floor> {
  const wss = new WebSocketServer({ noServer: true });
  const feeds = new Map<string, Feed>();
  const feedOf = new Map<WebSocket, Feed>();

  const feedFor = (channel: string): Feed => {
    let feed = feeds.get(channel);
    if (feed === undefined) {
      const made = new Feed(redis, `${streamPrefix}:${channel}`, () => {
        if (feeds.get(channel) === made) feeds.delete(channel);
      });
      feeds.set(channel, made);
      feed = made;
    }
    return feed;
  };

  function onClose(this: WebSocket): void {
    feedOf.get(this)?.leave(this);
    feedOf.delete(this);
  }

  const join = (ws: WebSocket, feed: Feed, cursor?: string): void => {
    if (ws.readyState !== ws.OPEN) return;
    feedOf.set(ws, feed);
    feed.join(ws, cursor);
  };

  /** Pages the entries after `cursor`, framed once, then joins the live read where the pages reached it. */
  async function catchUp(ws: WebSocket, channel: string, cursor: string): Promise<void> {
    let after = cursor;
    for (;;) {
      const page = (await redis.xrange(`${streamPrefix}:${channel}`, `(${after}`, '+', 'COUNT', PAGE)) as Entry[];
      if (ws.readyState !== ws.OPEN) return;
      if (page.length > 0) {
        writeBatch(
          ws,
          page.map((entry) => frame(envelope(entry))),
        );
        after = (page.at(-1) as Entry)[0];
      }
      if (page.length === PAGE) continue;
      const feed = feedFor(channel);
      await feed.ready;
      // Caught up with the live read: join in this same turn, so nothing falls between.
      if (compareIds(after, feed.last) >= 0) {
        join(ws, feed, after);
        return;
      }
    }
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', ignore);
    const url = new URL(request.url ?? '/', 'http://floor');
    const channel = url.pathname.startsWith('/ws/') ? decodeURIComponent(url.pathname.slice(4)) : '';
    if (channel === '') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const cursor = url.searchParams.get('last_event_id') ?? undefined;
    // From now: where "now" is is fixed before the client is told it is open.
    const feed = cursor === undefined ? feedFor(channel) : undefined;
    await feed?.ready;
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', ignore);
      ws.on('close', onClose);
      if (feed !== undefined && feeds.get(channel) === feed) join(ws, feed);
      // (A feed stopped meanwhile: the entries since the "now" it fixed come by a catch-up.)
      else void catchUp(ws, channel, feed?.last ?? (cursor as string));
    });
  }

  const server = createServer((_request, response) => {
    response.writeHead(404).end();
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(request, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => wss.clients.size,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      for (const feed of [...feeds.values()]) feed.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
