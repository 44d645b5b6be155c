/**
 * @module
 * The Durable Streams benchmark's client process, the same code against both
 * servers. It writes with undici's `request` on a keep-alive `Agent` (appends, 64 in
 * flight; the SSE case's writer; the catch-up stream's fill): the cheapest HTTP
 * client Node has, so that on 2 cores the client takes as little as it can from the
 * server it drives. It reads catch-ups with `fetch`, as Durable Streams' own client
 * reads (and with its `Accept-Encoding`, so a server that compresses does). It
 * reports its own CPU time per append, so a client-bound run shows as one.
 */

import * as hdr from 'hdr-histogram-js';
import { Agent, request } from 'undici';
import { sampleOrder } from '../common.js';
import { serve } from '../ipc.js';
import { type Message, message, now, sleep } from './shared.js';

const JSON_TYPE = { 'content-type': 'application/json' };
/** Keeps every connection open between requests (one per request in flight). */
const agent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });

/** POSTs `body` to `url`; the status (the body is read, so the connection goes back to the pool). */
async function post(url: string, body: string): Promise<number> {
  const response = await request(url, { method: 'POST', headers: JSON_TYPE, body, dispatcher: agent });
  await response.body.dump();
  return response.statusCode;
}

async function create({ url }: { url: string }): Promise<number> {
  const response = await fetch(url, { method: 'PUT', headers: JSON_TYPE });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`PUT ${url}: ${response.status}`);
  return response.status;
}

async function remove({ url }: { url: string }): Promise<number> {
  const response = await fetch(url, { method: 'DELETE' });
  await response.arrayBuffer();
  return response.status;
}

export interface AppendRun {
  /** Appends per second. */
  rate: number;
  /** This process's CPU µs per append. */
  cpu: number;
  /** Time from send to response, µs: p50 and p99. */
  p50: number;
  p99: number;
  /** Responses other than 204, by status. */
  failures: Record<string, number>;
}

/** `total` POSTs of one ~200-byte order each, `concurrency` in flight. */
async function append({
  url,
  total,
  concurrency,
}: {
  url: string;
  total: number;
  concurrency: number;
}): Promise<AppendRun> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000 });
  const failures: Record<string, number> = {};
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < total) {
      const body = JSON.stringify(sampleOrder(issued++));
      const sent = performance.now();
      const status = await post(url, body);
      histogram.recordValue(Math.max(1, Math.round((performance.now() - sent) * 1000)));
      if (status !== 204) failures[status] = (failures[status] ?? 0) + 1;
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const run = {
    rate: total / seconds,
    cpu: (cpu.user + cpu.system) / total,
    p50: histogram.getValueAtPercentile(50),
    p99: histogram.getValueAtPercentile(99),
    failures,
  };
  histogram.destroy();
  return run;
}

/** Appends `count` messages in JSON arrays of `batch`, one POST after another. */
async function fill({ url, count, batch }: { url: string; count: number; batch: number }): Promise<number> {
  for (let at = 0; at < count; at += batch) {
    const values = Array.from({ length: Math.min(batch, count - at) }, (_, i) => message('catch-up', at + i));
    const status = await post(url, JSON.stringify(values));
    if (status !== 204) throw new Error(`POST ${url}: ${status}`);
  }
  return count;
}

export interface CatchUp {
  ms: number;
  requests: number;
  /** Bytes of JSON read (after any decompression). */
  bytes: number;
  /** The Content-Encoding of the responses, or `identity`. */
  encoding: string;
}

/**
 * Reads the stream from `-1` to its end: `GET ?offset=` from each response's
 * `Stream-Next-Offset` until one says `Stream-Up-To-Date: true`. `identity` asks for
 * uncompressed responses; otherwise fetch sends its own `Accept-Encoding`.
 */
async function catchUp({
  url,
  expected,
  identity,
}: {
  url: string;
  expected: number;
  identity: boolean;
}): Promise<CatchUp> {
  const init = identity ? { headers: { 'accept-encoding': 'identity' } } : undefined;
  let offset = '-1';
  let count = 0;
  let requests = 0;
  let bytes = 0;
  let encoding = 'identity';
  let last = -1;
  const started = performance.now();
  for (;;) {
    const response = await fetch(`${url}?offset=${encodeURIComponent(offset)}`, init);
    requests++;
    const text = await response.text();
    if (response.status !== 200) throw new Error(`GET ${url}?offset=${offset}: ${response.status} ${text}`);
    encoding = response.headers.get('content-encoding') ?? encoding;
    bytes += Buffer.byteLength(text);
    const messages = JSON.parse(text) as { seq: number }[];
    for (const { seq } of messages) {
      if (seq !== last + 1) throw new Error(`catch-up read seq ${seq} after ${last}`);
      last = seq;
    }
    count += messages.length;
    const next = response.headers.get('stream-next-offset');
    if (next === null) throw new Error('a catch-up response without Stream-Next-Offset');
    offset = next;
    if (response.headers.get('stream-up-to-date') === 'true') break;
  }
  const ms = performance.now() - started;
  if (count !== expected) throw new Error(`catch-up read ${count} messages, expected ${expected}`);
  return { ms, requests, bytes, encoding };
}

/** What the SSE case's writer did. */
export interface Written {
  /** When the first message fell due and when the last `POST` went out (`now()` ms). */
  firstAt: number;
  lastAt: number;
  /** `POST`s made, and the most messages one carried. */
  posts: number;
  largest: number;
  /** Messages whose `POST` was not answered 204. */
  failures: number;
}

/**
 * The SSE case's writer, open loop: message `seq` of `count` falls due at `rate` per
 * second from the start and is stamped with that time. One `POST` at a time (so the
 * stream holds the messages in their order): a message is sent when it falls due, or,
 * when a `POST` is still unanswered then, in the next one with every other message
 * that fell due meanwhile (a JSON array: one message each in JSON mode). A slow
 * server thus gets the same messages per second, in fewer `POST`s, and a message's
 * latency counts its wait for the `POST` before it.
 */
async function write({
  url,
  phase,
  count,
  rate,
}: {
  url: string;
  phase: string;
  count: number;
  rate: number;
}): Promise<Written> {
  const firstAt = now();
  const due = (seq: number): number => firstAt + (seq * 1000) / rate;
  const written: Written = { firstAt, lastAt: firstAt, posts: 0, largest: 0, failures: 0 };
  let next = 0;
  while (next < count) {
    const wait = due(next) - now();
    if (wait > 0) await sleep(wait);
    const at = now();
    const batch: Message[] = [];
    for (; next < count && due(next) <= at; next++) batch.push({ ...message(phase, next), t: due(next) });
    if (batch.length === 0) continue; // the timer fired a little early
    written.lastAt = at;
    written.posts++;
    written.largest = Math.max(written.largest, batch.length);
    const status = await post(url, JSON.stringify(batch.length === 1 ? batch[0] : batch)).catch(() => 0);
    if (status !== 204) written.failures += batch.length;
  }
  return written;
}

serve(async (op, args) => {
  switch (op) {
    case 'create':
      return create(args as { url: string });
    case 'delete':
      return remove(args as { url: string });
    case 'append':
      return append(args as { url: string; total: number; concurrency: number });
    case 'fill':
      return fill(args as { url: string; count: number; batch: number });
    case 'catch-up':
      return catchUp(args as { url: string; expected: number; identity: boolean });
    case 'write':
      return write(args as { url: string; phase: string; count: number; rate: number });
    case 'stop':
      await agent.close();
      return null;
    default:
      throw new Error(`unknown op ${op}`);
  }
});
