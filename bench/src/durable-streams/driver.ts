/**
 * @module
 * The Durable Streams protocol on ReplayRail (`@replayrail/durable-streams`, issue
 * #26) against the protocol's reference server (`@durable-streams/server`), each in
 * a server process of its own: ours is packages/durable-streams/examples/server.mjs
 * with `REDIS_URL` set (ReplayRail on Redis), the reference its
 * `DurableStreamTestServer` in memory mode (server.ts). The same client processes
 * drive both (client.ts, readers.ts), all on 127.0.0.1:
 *
 * - Append: `POST` of one ~200-byte JSON order to one stream, 64 in flight, through
 *   undici's `request` on a keep-alive `Agent`. Target: ours ≥ 0.7× the
 *   reference's appends/s. The reference appends to process memory, ours through
 *   Redis: the Redis server's CPU per append (`INFO cpu`), the server process's, and
 *   `store.append` alone on the same Redis (no HTTP; 64 and 1 in flight, from this
 *   process) say what the round trip costs.
 * - SSE fanout: 500 readers of one stream (`live=sse`, two reader processes), a
 *   writer appending 100 messages/s for 10 s (open loop, one `POST` at a time, the
 *   messages that fell due meanwhile batched). Targets: ours ≤ 0.5× the reference's
 *   server CPU per delivered message (`process.cpuUsage()` in the server process
 *   over the phase), delivery latency p99 ≤ the reference's (due time in the message
 *   → receipt at the reader, HDR histograms merged).
 * - Catch-up: a stream of 10,000 messages read from `-1` to its end by `GET
 *   ?offset=` in a loop until `Stream-Up-To-Date` (Node's fetch). Target: ours ≤ the
 *   reference's time per full catch-up.
 *
 * Each round starts a fresh server per target (the targets' order alternating round
 * by round) and runs the three cases on it, each after a warm-up in that process;
 * each round gives one ratio per figure; figures are min / median / max over the
 * rounds. `SMOKE=1` runs tiny sizes and writes no results file. Stream paths start
 * with `rrds-<time>`: ours' keys (`rr:ds:{rrds-<time>-…}:*`, the example server's
 * prefix) and the store probe's (`rrds-<time>:*`) are deleted at the end, also on
 * error, Ctrl-C or the time limit; every child process is killed. Results: stdout
 * and bench/results/durable-streams.md. Run: `pnpm bench:durable-streams` from the
 * root (it builds the packages first).
 */

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { DurableAppend, DurableStreamRef } from '@replayrail/core/store';
import { RedisStreamStore } from '@replayrail/store-redis';
import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import {
  deleteKeys,
  figures,
  gitCommit,
  int,
  measure,
  median,
  redisCpu,
  sampleOrder,
  spread,
  table,
  writeResults,
} from '../common.js';
import { Child, children } from '../ipc.js';
import type { AppendRun, CatchUp, Written } from './client.js';
import { LONG_POLL_MS, NAMES, REDIS_URL, sleep, streamUrl, TARGETS, type Target } from './shared.js';

const SMOKE = process.env.SMOKE === '1';
const ROUNDS = Number(process.env.ROUNDS ?? (SMOKE ? 1 : 3));
const RUN = `rrds-${Date.now()}`;
/** The key prefix of the example server's rail (ReplayRail's default `streamPrefix`). */
const EXAMPLE_PREFIX = 'rr';
const CONCURRENCY = 64;
const APPENDS = SMOKE ? 1_000 : 30_000;
const WARM_APPENDS = SMOKE ? 300 : 5_000;
/** `store.append` alone with 1 in flight: appends per round. */
const PROBE_SERIAL = SMOKE ? 200 : 2_000;
const CATCH_UP = SMOKE ? 1_000 : 10_000;
const FILL_BATCH = 500;
/** Timed catch-ups per round and encoding; the round's figure is their median. */
const CATCH_UPS = SMOKE ? 2 : 5;
const READERS = SMOKE ? 20 : 500;
const READER_PROCESSES = 2;
const SSE_RATE = 100;
const SSE_COUNT = SMOKE ? 200 : 1_000;
const SSE_WARMUP = SMOKE ? 50 : 200;
const TIME_LIMIT_MS = 480_000;
const TARGET = { append: 0.7, cpu: 0.5, p99: 1, catchUp: 1 } as const;

// --- One round of one target: a fresh server, the three cases on it.

interface AppendResult extends AppendRun {
  /** The server process's CPU µs per append. */
  server: number;
  /** The Redis server's CPU µs per append (`INFO cpu`; for the reference, whatever else Redis did meanwhile). */
  redis: number;
}

interface CatchUpResult {
  /** Median ms per full catch-up, fetch's own Accept-Encoding. */
  ms: number;
  /** The same asking for `Accept-Encoding: identity`. */
  identityMs: number;
  requests: number;
  bytes: number;
  encoding: string;
  /** The server process's CPU ms per catch-up (fetch's own Accept-Encoding). */
  server: number;
}

interface SseResult {
  delivered: number;
  expected: number;
  /** Latency, µs. */
  p50: number;
  p99: number;
  max: number;
  /** The server process's CPU µs per delivered message. */
  cpu: number;
  /** The server process's CPU time over the phase's, in % (100: one core all the time). */
  busy: number;
  /** The Redis server's CPU µs per delivered message. */
  redis: number;
  misordered: number;
  /** Warm-up messages that reached a reader during the phase. */
  stray: number;
  reconnects: number;
  writeFailures: number;
  /** The writer's `POST`s, and the most messages one carried. */
  posts: number;
  largest: number;
  /** Bytes of event stream a reader got, per message. */
  bytesPerMessage: number;
  /** The reader processes' CPU µs per delivered message. */
  readerCpu: number;
  /** Messages written per second, as achieved (from the first one's due time to the last `POST`). */
  writeRate: number;
  /** From the last send to the last delivery, ms. */
  lag: number;
}

interface Round {
  append: AppendResult;
  catchUp: CatchUpResult;
  sse: SseResult;
}

interface Collected {
  /** The reader process's CPU µs over the phase. */
  cpu: number;
  delivered: number;
  misordered: number;
  stray: number;
  lastAt: number;
  reconnects: number;
  bytes: number;
  histogram: string;
}

const split = (total: number, parts: number): number[] =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

async function appendCase(server: Child, client: Child, redis: Redis, url: string): Promise<AppendResult> {
  await client.request('create', { url });
  await client.request('append', { url, total: WARM_APPENDS, concurrency: CONCURRENCY }, 120_000);
  const cpu = await server.request<number>('cpu');
  const redisBefore = await redisCpu(redis);
  const run = await client.request<AppendRun>('append', { url, total: APPENDS, concurrency: CONCURRENCY }, 180_000);
  const redisUsed = (await redisCpu(redis)) - redisBefore;
  const serverUsed = (await server.request<number>('cpu')) - cpu;
  await client.request('delete', { url });
  const failed = Object.entries(run.failures);
  if (failed.length > 0) throw new Error(`appends failed: ${JSON.stringify(run.failures)}`);
  return { ...run, server: serverUsed / APPENDS, redis: redisUsed / APPENDS };
}

async function catchUpCase(server: Child, client: Child, url: string): Promise<CatchUpResult> {
  await client.request('create', { url });
  await client.request('fill', { url, count: CATCH_UP, batch: FILL_BATCH }, 120_000);
  const read = (identity: boolean) =>
    client.request<CatchUp>('catch-up', { url, expected: CATCH_UP, identity }, 60_000);
  await read(false); // warm-up
  await read(true);
  const plain: CatchUp[] = [];
  const identity: CatchUp[] = [];
  let cpu = 0;
  for (let i = 0; i < CATCH_UPS; i++) {
    const before = await server.request<number>('cpu');
    plain.push(await read(false));
    cpu += (await server.request<number>('cpu')) - before;
    identity.push(await read(true));
  }
  await client.request('delete', { url });
  const first = plain[0] as CatchUp;
  return {
    ms: median(plain.map((run) => run.ms)),
    identityMs: median(identity.map((run) => run.ms)),
    requests: first.requests,
    bytes: first.bytes,
    encoding: first.encoding,
    server: cpu / CATCH_UPS / 1000,
  };
}

/** Writes `count` messages tagged `phase` and waits until every reader has them (or 3 s pass without progress). */
async function ssePhase(client: Child, readers: Child[], url: string, phase: string, count: number): Promise<Written> {
  await Promise.all(readers.map((child) => child.request('phase', phase)));
  const written = await client.request<Written>(
    'write',
    { url, phase, count, rate: SSE_RATE },
    (count / SSE_RATE) * 1000 + 60_000,
  );
  const expected = count * READERS;
  const started = Date.now();
  let total = 0;
  let progressAt = Date.now();
  while (total < expected && Date.now() - progressAt < 3_000 && Date.now() - started < 30_000) {
    await sleep(100);
    const counts = await Promise.all(readers.map((child) => child.request<number>('count')));
    const sum = counts.reduce((a, b) => a + b, 0);
    if (sum > total) {
      total = sum;
      progressAt = Date.now();
    }
  }
  return written;
}

async function sseCase(server: Child, client: Child, readers: Child[], redis: Redis, url: string): Promise<SseResult> {
  await client.request('create', { url });
  const shares = split(READERS, readers.length);
  await Promise.all(readers.map((child, i) => child.request('connect', { url, count: shares[i] }, 120_000)));
  await ssePhase(client, readers, url, 'warm-up', SSE_WARMUP);
  const cpu = await server.request<number>('cpu');
  const redisBefore = await redisCpu(redis);
  const started = performance.now();
  const sent = await ssePhase(client, readers, url, 'measured', SSE_COUNT);
  const serverUsed = (await server.request<number>('cpu')) - cpu;
  const elapsed = (performance.now() - started) * 1000;
  const redisUsed = (await redisCpu(redis)) - redisBefore;
  const parts = await Promise.all(readers.map((child) => child.request<Collected>('collect')));
  await Promise.all(readers.map((child) => child.request('close')));
  await client.request('delete', { url });
  const histogram = hdr.build();
  for (const part of parts) histogram.add(hdr.decodeFromCompressedBase64(part.histogram));
  const sum = (pick: (part: Collected) => number) => parts.reduce((total, part) => total + pick(part), 0);
  const delivered = sum((part) => part.delivered);
  const result = {
    delivered,
    expected: SSE_COUNT * READERS,
    p50: histogram.getValueAtPercentile(50),
    p99: histogram.getValueAtPercentile(99),
    max: histogram.maxValue,
    cpu: serverUsed / delivered,
    busy: (serverUsed / elapsed) * 100,
    redis: redisUsed / delivered,
    misordered: sum((part) => part.misordered),
    stray: sum((part) => part.stray),
    reconnects: sum((part) => part.reconnects),
    writeFailures: sent.failures,
    posts: sent.posts,
    largest: sent.largest,
    bytesPerMessage: sum((part) => part.bytes) / delivered,
    readerCpu: sum((part) => part.cpu) / delivered,
    writeRate: ((SSE_COUNT - 1) * 1000) / (sent.lastAt - sent.firstAt),
    lag: Math.max(...parts.map((part) => part.lastAt)) - sent.lastAt,
  };
  histogram.destroy();
  return result;
}

async function round(target: Target, r: number, redis: Redis): Promise<Round> {
  const server = new Child(`${NAMES[target]} server`, new URL('./server.js', import.meta.url));
  const client = new Child(`${NAMES[target]} client`, new URL('./client.js', import.meta.url));
  const readers = Array.from(
    { length: READER_PROCESSES },
    (_, i) => new Child(`${NAMES[target]} readers ${i + 1}`, new URL('./readers.js', import.meta.url)),
  );
  try {
    const { base } = await server.request<{ base: string }>('start', target);
    const url = (name: string) => streamUrl(base, `${RUN}-${name}-${target}-${r}`);
    const append = await appendCase(server, client, redis, url('append'));
    log(
      `  ${NAMES[target]} append: ${int(append.rate)}/s, server ${append.server.toFixed(1)} µs, Redis ${append.redis.toFixed(1)} µs, client ${append.cpu.toFixed(1)} µs per append`,
    );
    const catchUp = await catchUpCase(server, client, url('catch-up'));
    log(
      `  ${NAMES[target]} catch-up: ${catchUp.ms.toFixed(1)} ms (${catchUp.requests} requests, ${catchUp.encoding}), identity ${catchUp.identityMs.toFixed(1)} ms`,
    );
    const sse = await sseCase(server, client, readers, redis, url('sse'));
    log(
      `  ${NAMES[target]} SSE: ${int(sse.delivered)}/${int(sse.expected)} delivered, p50 ${ms(sse.p50)} ms, p99 ${ms(sse.p99)} ms, server ${sse.cpu.toFixed(2)} µs CPU per message`,
    );
    return { append, catchUp, sse };
  } finally {
    await Promise.allSettled(
      [server, client, ...readers].map((child) => child.request('stop', null, 10_000).catch(() => {})),
    );
    await Promise.all([server, client, ...readers].map((child) => child.end()));
  }
}

// --- `store.append` alone: the Redis round trip without HTTP.

interface Probe {
  /** Appends/s with 64 in flight. */
  rate: number;
  /** µs per append with 1 in flight: one round trip and the script. */
  serial: number;
  /** The Redis server's CPU µs per append (64 in flight). */
  redis: number;
}

async function storeProbe(store: RedisStreamStore, redis: Redis, r: number, signal: AbortSignal): Promise<Probe> {
  const streams = store.durableStreams;
  if (streams === undefined) throw new Error('the Redis store keeps no durable streams');
  const ref: DurableStreamRef = { prefix: RUN, path: `probe-${r}` };
  const retention = { maxLength: null, maxAgeMs: null };
  const created = await streams.create(ref, {
    retention,
    config: { contentType: 'application/json', ttlSeconds: null, expiresAt: null },
    closed: false,
    messages: [],
  });
  if (created.kind !== 'created') throw new Error(`store probe: create gave ${created.kind}`);
  const request = (n: number): DurableAppend => ({
    retention,
    messages: [{ data: JSON.stringify(sampleOrder(n)), base64: false }],
    contentType: 'application/json',
    close: false,
    streamSeq: null,
    producer: null,
  });
  const op = async (n: number) => {
    const result = await streams.append(ref, request(n));
    if (result.kind !== 'appended') throw new Error(`store probe: append gave ${result.kind}`);
  };
  await measure(CONCURRENCY, WARM_APPENDS, op, signal);
  const before = await redisCpu(redis);
  const busy = await measure(CONCURRENCY, APPENDS, op, signal);
  const used = (await redisCpu(redis)) - before;
  const serial = await measure(1, PROBE_SERIAL, op, signal);
  await streams.delete(ref);
  return { rate: busy.rate, serial: 1e6 / serial.rate, redis: used / APPENDS };
}

// --- The report.

const ms = (micros: number): string => (micros / 1000).toFixed(micros < 10_000 ? 2 : 1);
const one = (value: number): string => value.toFixed(1);
const two = (value: number): string => value.toFixed(2);
const log = (line: string): void => console.error(line);

interface Header {
  readonly redis: string;
  readonly reference: string;
  readonly seconds: number;
}

function report(results: Record<Target, Round[]>, probes: Probe[], header: Header): string {
  const { ours, reference } = results;
  const ratios = (pick: (round: Round) => number) => ours.map((round, i) => pick(round) / pick(reference[i] as Round));
  const goals: string[][] = [];
  const goal = (figure: string, bound: string, values: number[], holds: (ratio: number) => boolean) => {
    const within = values.filter(holds).length;
    goals.push([
      figure,
      bound,
      `${spread(values)}×`,
      `${holds(median(values)) ? 'holds' : 'misses'} (${within} of ${values.length} rounds within)`,
    ]);
  };
  const appendRates = ratios((round) => round.append.rate);
  goal(
    `appends/s, ${CONCURRENCY} in flight, ours ÷ reference (medians ${int(median(ours.map((r) => r.append.rate)))} / ${int(median(reference.map((r) => r.append.rate)))})`,
    `≥ ${TARGET.append}×`,
    appendRates,
    (ratio) => ratio >= TARGET.append,
  );
  const sseCpu = ratios((round) => round.sse.cpu);
  goal(
    `SSE to ${int(READERS)} readers: server CPU per delivered message, ours ÷ reference (medians ${two(median(ours.map((r) => r.sse.cpu)))} / ${two(median(reference.map((r) => r.sse.cpu)))} µs)`,
    `≤ ${TARGET.cpu}×`,
    sseCpu,
    (ratio) => ratio <= TARGET.cpu,
  );
  const p99 = ratios((round) => round.sse.p99);
  goal(
    `SSE to ${int(READERS)} readers: delivery latency p99, ours ÷ reference (medians ${ms(median(ours.map((r) => r.sse.p99)))} / ${ms(median(reference.map((r) => r.sse.p99)))} ms)`,
    `≤ ${TARGET.p99}×`,
    p99,
    (ratio) => ratio <= TARGET.p99,
  );
  const catchUp = ratios((round) => round.catchUp.ms);
  goal(
    `catch-up of ${int(CATCH_UP)} messages: time, ours ÷ reference (medians ${one(median(ours.map((r) => r.catchUp.ms)))} / ${one(median(reference.map((r) => r.catchUp.ms)))} ms)`,
    `≤ ${TARGET.catchUp}×`,
    catchUp,
    (ratio) => ratio <= TARGET.catchUp,
  );

  type Picker = [string, (round: Round) => number, (value: number) => string];
  const caseTable = (pickers: Picker[]) =>
    table(
      ['figure', 'ReplayRail (min / median / max)', 'reference (min / median / max)', 'ours ÷ reference per round'],
      pickers.map(([name, pick, format]) => [
        name,
        figures(ours.map(pick), format),
        figures(reference.map(pick), format),
        `${spread(ratios(pick))}×`,
      ]),
    );
  const appendTable = caseTable([
    ['appends/s', (r) => r.append.rate, int],
    ['server process CPU µs per append', (r) => r.append.server, one],
    [
      'server process CPU, % of one core (CPU per append × appends/s)',
      (r) => (r.append.server * r.append.rate) / 1e4,
      int,
    ],
    ['Redis server CPU µs per append (`INFO cpu`)', (r) => r.append.redis, one],
    ['client process CPU µs per append (undici)', (r) => r.append.cpu, one],
    ['latency p50, ms (send → response)', (r) => r.append.p50, ms],
    ['latency p99, ms', (r) => r.append.p99, ms],
  ]);
  const catchUpTable = caseTable([
    ['ms per catch-up (fetch as it comes: `Accept-Encoding` as undici sends it)', (r) => r.catchUp.ms, one],
    ['ms per catch-up, `Accept-Encoding: identity`', (r) => r.catchUp.identityMs, one],
    ["server process CPU ms per catch-up (fetch's `Accept-Encoding`)", (r) => r.catchUp.server, two],
    ['GET requests per catch-up', (r) => r.catchUp.requests, int],
    ['bytes of JSON read per catch-up (after decompression)', (r) => r.catchUp.bytes, int],
  ]);
  const sseTable = caseTable([
    ['delivered messages (of expected)', (r) => r.sse.delivered, int],
    ['latency p50, ms', (r) => r.sse.p50, ms],
    ['latency p99, ms', (r) => r.sse.p99, ms],
    ['latency max, ms', (r) => r.sse.max, ms],
    ['server process CPU µs per delivered message', (r) => r.sse.cpu, two],
    ['server process CPU, % of one core over the phase', (r) => r.sse.busy, int],
    ['Redis server CPU µs per delivered message', (r) => r.sse.redis, (v) => v.toFixed(3)],
    ['reader processes CPU µs per delivered message', (r) => r.sse.readerCpu, two],
    ['bytes of event stream per delivered message', (r) => r.sse.bytesPerMessage, int],
    ['messages written per second (achieved)', (r) => r.sse.writeRate, one],
    ["the writer's `POST`s", (r) => r.sse.posts, int],
    ['most messages in one `POST`', (r) => r.sse.largest, int],
    ['last delivery after the last send, ms', (r) => r.sse.lag, int],
    ['messages out of order or again (all readers)', (r) => r.sse.misordered, int],
    ['warm-up messages that arrived during the phase', (r) => r.sse.stray, int],
    ['reader reconnects (responses that ended)', (r) => r.sse.reconnects, int],
    ['messages written with a failed `POST`', (r) => r.sse.writeFailures, int],
  ]);

  const oursMedian = (pick: (round: Round) => number) => median(ours.map(pick));
  const serverUs = oursMedian((r) => r.append.server);
  const redisUs = oursMedian((r) => r.append.redis);
  const background = median(reference.map((r) => r.append.redis));
  const probeRate = median(probes.map((p) => p.rate));
  const appendBusy = (of: Round[]) => median(of.map((r) => (r.append.server * r.append.rate) / 1e4));
  const sseBusy = (of: Round[]) => median(of.map((r) => r.sse.busy));
  const saturated = Math.min(sseBusy(ours), sseBusy(reference)) >= 80;
  const encodings = [...new Set(reference.map((r) => r.catchUp.encoding))].join(', ');
  const ourRequests = median(ours.map((r) => r.catchUp.requests));
  const refRequests = median(reference.map((r) => r.catchUp.requests));
  const expected = SSE_COUNT * READERS;
  const allDelivered = (of: Round[]) => of.every((r) => r.sse.delivered === expected);
  return [
    '# Durable Streams: ReplayRail (`@replayrail/durable-streams` on Redis) against the reference server',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${header.redis} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · @durable-streams/server ${header.reference} · commit ${gitCommit()} · ${header.seconds} s${SMOKE ? ' · SMOKE (tiny sizes)' : ''}`,
    '',
    'Ours: packages/durable-streams/examples/server.mjs as it is (`durableStreams(rail)` and the Hono adapter on',
    '`@hono/node-server`, `RedisStreamStore` on ioredis), `REDIS_URL` set, so every stream lives in Redis. The',
    "reference: `@durable-streams/server`'s `DurableStreamTestServer` (the protocol's Node reference server, latest on",
    'npm) in memory mode, its options at their defaults (so it gzips responses of 1 KiB and more when asked) but',
    `the long-poll timeout, ${LONG_POLL_MS} ms on both (ours \`LONG_POLL_TIMEOUT_MS\`, the reference \`longPollTimeout\`).`,
    'The reference keeps each stream in an array in its process behind raw `node:http`; ours answers through Hono on',
    '`@hono/node-server` (a Web `Request` and `Response` per request) and runs one Lua script on Redis per append or',
    'read. Each server runs in a process of its own, started fresh for each round; clients run in other processes',
    '(one for appends, catch-ups and the SSE writer, two for the SSE readers), all on 127.0.0.1.',
    `${ROUNDS} rounds, the targets' order alternating round by round, each case after a warm-up in the round's`,
    'process; each round gives one ratio per figure, and figures are min / median / max over the rounds. CPU is',
    "user + system time: a server process's (`process.cpuUsage()` in it, before and after), and the Redis server's",
    '(`INFO cpu`; Redis is shared with whatever else runs on the machine, so it counts that too: the same figure',
    'measured while the reference, which never touches Redis, ran shows how much). 2 cores shared by Redis, both',
    'servers (one idle at a time) and the clients: an absolute figure moves with other load on the machine, the',
    'ratios within a round less so.',
    '',
    '## Targets',
    '',
    ...table(['figure', 'target', 'per round (min / median / max)', 'verdict (median)'], goals),
    '',
    `## Append: one ~200-byte JSON message per \`POST\`, ${CONCURRENCY} in flight`,
    '',
    `${int(APPENDS)} \`POST\`s per round to a new JSON stream (after ${int(WARM_APPENDS)} to warm up), each body one order`,
    `(${JSON.stringify(sampleOrder(0)).length} bytes), ${CONCURRENCY} in flight from one process through undici's \`request\` on a keep-alive`,
    "`Agent` (one connection per request in flight, kept open; undici's `request` rather than `fetch` because on 2",
    'cores the client shares the CPU with the server it drives, and `fetch` costs it several times more per',
    'request); every response must be 204. Latency is send to response at the client.',
    '',
    ...appendTable,
    '',
    `What the Redis round trip costs: per append our server process spends ${one(serverUs)} µs of CPU and Redis`,
    `${one(redisUs)} µs (medians; ${one(background)} µs per append of Redis CPU came from elsewhere during the reference's runs),`,
    `so Redis is ${((redisUs / (serverUs + redisUs)) * 100).toFixed(0)}% of the CPU an append takes on our side. \`store.append\` alone (the same`,
    `script on the same Redis from this process, no HTTP) runs ${int(probeRate)} appends/s with ${CONCURRENCY} in flight and takes`,
    `${figures(
      probes.map((p) => p.serial),
      int,
    )} µs (min / median / max) with 1 in flight, one round trip and the script; Redis CPU ${figures(
      probes.map((p) => p.redis),
      one,
    )} µs per append there.`,
    `Our server process ran at ${int(appendBusy(ours))}% of one core, the reference's at ${int(appendBusy(reference))}% (medians)${
      appendBusy(ours) >= 90
        ? `: ours is bound by what its process does per request (its CPU per append above), not by Redis (\`store.append\` alone: ${int(probeRate)}/s).`
        : '.'
    }`,
    '',
    `## SSE fanout: ${int(READERS)} readers of one stream, ${SSE_RATE} messages/s for ${SSE_COUNT / SSE_RATE} s`,
    '',
    `${int(READERS)} readers over ${READER_PROCESSES} processes, each \`GET ?offset=now&live=sse\` on a connection of its own (\`node:http\`),`,
    `all live (each had its first control event) before the writer starts; ${SSE_WARMUP} messages to warm up, then`,
    `${int(SSE_COUNT)} messages, an order with its number and the time it fell due, ${SSE_RATE} per second from the client process,`,
    'open loop: one `POST` at a time (so the stream holds them in order), each message sent when it falls due or,',
    'while a `POST` is unanswered, in the next one with the others that fell due meanwhile (a JSON array). Both',
    'servers get the same messages per second; a slow one gets them in fewer, larger `POST`s. Latency is a',
    "reader's receipt time minus the time the message fell due (so a wait for the `POST` before it counts), over",
    "every delivery of the round (HDR histograms merged over the reader processes). Server CPU runs from the writer's",
    'first message until every reader has every message (or 3 s pass without progress), divided by deliveries; it',
    `includes the writer's \`POST\`s. ${allDelivered(ours) ? 'Ours delivered every message to every reader in every round' : 'Ours did NOT deliver every message to every reader in every round'}; ${allDelivered(reference) ? 'so did the reference' : 'the reference did NOT'}.`,
    '',
    ...sseTable,
    '',
    `Over the phase our server process used ${int(sseBusy(ours))}% of one core, the reference's ${int(sseBusy(reference))}% (medians)${saturated ? ': both' : '.'}`,
    ...(saturated
      ? [
          'run near one core at this load on this machine, so a delivery waits behind the fanout of the messages before',
          'it, and each writes the messages that arrived meanwhile to every reader at once (the larger the batches, the',
          'less CPU per message).',
        ]
      : []),
    '',
    `## Catch-up: ${int(CATCH_UP)} messages from offset \`-1\` to the end`,
    '',
    `A JSON stream filled with ${int(CATCH_UP)} messages (the SSE message shape, ${FILL_BATCH} per \`POST\`), read by a client that`,
    "`GET`s `?offset=` from each response's `Stream-Next-Offset` until one says `Stream-Up-To-Date: true`, parses",
    `each body and checks every message came once, in order. ${CATCH_UPS} catch-ups per round and encoding after one warm-up;`,
    `the round's figure is their median. The reference answers the whole stream in one response (${refRequests} request,`,
    `gzip-compressed when fetch asks: ${encodings}); ours in pages of at most 1,000 messages or 1 MiB (\`readLimit\`,`,
    `\`maxChunkBytes\`: ${ourRequests} requests), uncompressed.`,
    '',
    ...catchUpTable,
    '',
  ].join('\n');
}

// --- Main: run, report, and always clean up.

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectionName: `${RUN}-driver` });
redis.on('error', () => {}); // connection errors surface through the commands that fail
const store = new RedisStreamStore({ client: redis });
const stop = new AbortController();

/** Deletes the keys matching `pattern`; returns how many. */
async function deleteMatching(pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

let ended = false;
async function end(code: number): Promise<never> {
  if (!ended) {
    ended = true;
    stop.abort(new Error('stopping'));
    for (const child of children) child.kill();
    await sleep(300);
    try {
      const deleted = (await deleteMatching(`${EXAMPLE_PREFIX}:ds:{${RUN}-*`)) + (await deleteKeys(redis, RUN));
      log(`deleted ${deleted} keys of ${RUN}`);
    } catch (error) {
      log(`cleanup failed: ${error}`);
    }
    await store.close().catch(() => {});
    await redis.quit().catch(() => {});
    process.exit(code);
  }
  return new Promise<never>(() => {});
}

process.once('SIGINT', () => void end(130));
process.on('uncaughtException', (error) => {
  console.error(error);
  void end(1);
});
process.once('SIGTERM', () => void end(143));
process.on('exit', () => {
  for (const child of children) child.kill();
});
const limit = setTimeout(() => {
  log(`time limit of ${TIME_LIMIT_MS / 1000} s reached, stopping`);
  void end(1);
}, TIME_LIMIT_MS);

let code = 0;
try {
  const started = Date.now();
  log(`streams ${RUN}-*${SMOKE ? ' (SMOKE: tiny sizes, no results file)' : ''}`);
  const results: Record<Target, Round[]> = { ours: [], reference: [] };
  const probes: Probe[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const target of r % 2 === 0 ? TARGETS : [...TARGETS].reverse()) {
      log(`round ${r + 1}/${ROUNDS}: ${NAMES[target]} (${Math.round((Date.now() - started) / 1000)} s)`);
      results[target].push(await round(target, r, redis));
    }
    const probe = await storeProbe(store, redis, r, stop.signal);
    log(`  store.append alone: ${int(probe.rate)}/s with ${CONCURRENCY} in flight, ${int(probe.serial)} µs with 1`);
    probes.push(probe);
  }
  const version = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const referencePackage = new URL('../../node_modules/@durable-streams/server/package.json', import.meta.url);
  const reference = (JSON.parse(await readFile(referencePackage, 'utf8')) as { version: string }).version;
  const text = report(results, probes, {
    redis: version,
    reference,
    seconds: Math.round((Date.now() - started) / 1000),
  });
  console.log(text);
  if (!SMOKE) {
    await writeResults('durable-streams.md', text);
  }
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  clearTimeout(limit);
}
await end(code);
