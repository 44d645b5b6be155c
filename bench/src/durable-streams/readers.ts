/**
 * @module
 * The Durable Streams benchmark's SSE readers, a few hundred per process: each one
 * `GET ?offset=now&live=sse` on one connection of its own (`node:http`, the lightest
 * client Node has, so the readers' processes take little of the 2 cores), parsing
 * the event stream as the protocol frames it (`event: data` with a JSON array of
 * messages, `event: control` with the next offset). Per phase it counts the messages
 * each reader gets, checks they come once and in order, and records each one's
 * latency (receipt minus the send time in the message, µs) in an HDR histogram. A
 * reader whose response ends reconnects from its last control offset.
 */

import { request } from 'node:http';
import * as hdr from 'hdr-histogram-js';
import { serve } from '../ipc.js';
import { type Message, now } from './shared.js';

interface Reader {
  /** The next offset, from the last control event. */
  offset: string;
  /** The last message number of the current phase this reader got. */
  last: number;
  close: () => void;
  /** Called at the reader's first control event, once. */
  onLive: (() => void) | undefined;
}

const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000 });

const readers = new Set<Reader>();
let stopping = false;
let phase = '';
let histogram = newHistogram();
let delivered = 0;
/** Messages that came again or out of order (a number not one past the last). */
let misordered = 0;
/** Messages of another phase (late ones of the warm-up). */
let stray = 0;
let lastAt = 0;
let reconnects = 0;
let bytes = 0;
/** This process's CPU time at the start of the phase. */
let cpuMark = process.cpuUsage();

function onData(reader: Reader, data: string): void {
  const at = now();
  for (const item of JSON.parse(data) as Message[]) {
    if (item.phase !== phase) {
      stray++;
      continue;
    }
    delivered++;
    lastAt = at;
    histogram.recordValue(Math.max(1, Math.round((at - item.t) * 1000)));
    if (item.seq !== reader.last + 1) misordered++;
    reader.last = Math.max(reader.last, item.seq);
  }
}

/** Opens one reader at `url` (again, after its response ended: from its last control offset). */
function open(url: string, reader: Reader): void {
  let buffer = '';
  const req = request(`${url}?offset=${encodeURIComponent(reader.offset)}&live=sse`, { agent: false }, (response) => {
    if (response.statusCode !== 200) {
      response.resume();
      req.destroy(new Error(`SSE ${response.statusCode}`));
      return;
    }
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      bytes += chunk.length;
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
        if (type === 'data') onData(reader, data.join('\n'));
        else if (type === 'control') {
          reader.offset = (JSON.parse(data.join('\n')) as { streamNextOffset: string }).streamNextOffset;
          reader.onLive?.();
          reader.onLive = undefined;
        }
      }
    });
    response.on('end', () => reopen(url, reader));
  });
  req.on('error', () => reopen(url, reader));
  req.end();
  reader.close = () => req.destroy();
}

function reopen(url: string, reader: Reader): void {
  if (stopping || !readers.has(reader)) return;
  reconnects++;
  setTimeout(() => open(url, reader), 100);
}

/** Opens `count` readers of `url` from its tail; resolves when every one is live. */
async function connect({ url, count }: { url: string; count: number }): Promise<number> {
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const reader: Reader = { offset: 'now', last: -1, close: () => {}, onLive: resolve };
          readers.add(reader);
          open(url, reader);
        }),
    ),
  );
  return readers.size;
}

serve(async (op, args) => {
  switch (op) {
    case 'connect':
      return connect(args as { url: string; count: number });
    case 'phase':
      phase = String(args);
      histogram.destroy();
      histogram = newHistogram();
      delivered = 0;
      misordered = 0;
      stray = 0;
      lastAt = 0;
      reconnects = 0;
      bytes = 0;
      for (const reader of readers) reader.last = -1;
      cpuMark = process.cpuUsage();
      return null;
    case 'count':
      return delivered;
    case 'collect': {
      const cpu = process.cpuUsage(cpuMark);
      return {
        cpu: cpu.user + cpu.system,
        delivered,
        misordered,
        stray,
        lastAt,
        reconnects,
        bytes,
        histogram: hdr.encodeIntoCompressedBase64(histogram),
      };
    }
    case 'close':
    case 'stop':
      stopping = true;
      for (const reader of readers) reader.close();
      readers.clear();
      return null;
    default:
      throw new Error(`unknown op ${op}`);
  }
});
