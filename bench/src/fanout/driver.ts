/**
 * Fanout benchmark: ReplayRail (`@replayrail/server-ws` + `@replayrail/store-redis`)
 * against Socket.IO 4 (`connectionStateRecovery` + `@socket.io/redis-streams-adapter`),
 * both on ioredis against REDIS_URL (default 127.0.0.1:6379), doing the same work.
 * This driver forks, per target, a server process, a publisher process and
 * subscriber processes (server.js, publisher.js, subscriber.js), coordinates them
 * over IPC and writes the report; all traffic stays on 127.0.0.1.
 *
 * - Fanout: 500 subscribers of one channel / room over 2 subscriber processes;
 *   the publisher sends 50 and 100 events/s for 10 s each, then a burst of 1,000 as
 *   fast as it can. Per phase: delivered messages/s, end-to-end latency p50/p99
 *   (send time in the payload → receipt, HDR histograms merged across processes),
 *   the server's CPU µs per delivered message (`process.cpuUsage()` inside the
 *   server over the phase) and its Redis connections (CLIENT LIST, by client name).
 *   Rounds run interleaved, alternating which target goes first, so machine noise
 *   hits both alike.
 * - Idle memory: 2,000 idle subscribed sockets; the server's RSS after `gc()` with
 *   them minus before, per socket.
 * - Reconnect: one subscriber misses 10,000 events and comes back with its cursor;
 *   the time until it has them all and whether each came once, in order. Then one
 *   that misses more than the stream keeps (1,000): what each target does.
 *
 * Every key lives under a unique `rrfanout-<time>` prefix and is deleted at the end
 * (SCAN + DEL), also on error, Ctrl-C or the time limit; every child is killed.
 * Results go to stdout and bench/results/fanout.md. Run: `pnpm --filter
 * @replayrail/bench run bench:fanout` after `pnpm build`.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import { deleteKeys, gitCommit, median } from '../common.js';
import { Child, children } from '../ipc.js';
import {
  REDIS_URL,
  type Recovery,
  type StackOptions,
  samplePayload,
  serverClientName,
  sleep,
  type Target,
} from './shared.js';

const PREFIX = `rrfanout-${Date.now()}`;
const SUBSCRIBERS = 500;
const SUBSCRIBER_PROCESSES = 2;
const PHASES = [
  { key: 'rate50', label: '50 events/s, 10 s', rate: 50, count: 500 },
  { key: 'rate100', label: '100 events/s, 10 s', rate: 100, count: 1_000 },
  { key: 'burst', label: 'burst of 1,000 events', rate: 0, count: 1_000 },
] as const;
const WARMUP = { rate: 50, count: 100 };
const ROUNDS = 3;
const IDLE_SOCKETS = 2_000;
const MISSED = 10_000;
const SMALL_MAXLEN = 1_000;
const TIME_LIMIT_MS = 330_000;
const TARGETS: readonly Target[] = ['rr', 'sio'];
const NAMES: Record<Target, string> = { rr: 'ReplayRail', sio: 'Socket.IO' };

// --- A stack: one target's server, publisher and subscriber processes.

interface Stack {
  options: StackOptions;
  server: Child;
  publisher: Child | undefined;
  subscribers: Child[];
  port: number;
}

async function startStack(options: StackOptions, subscriberProcesses: number, withPublisher: boolean): Promise<Stack> {
  const server = new Child(`${options.name} server`, new URL('./server.js', import.meta.url));
  const publisher = withPublisher
    ? new Child(`${options.name} publisher`, new URL('./publisher.js', import.meta.url))
    : undefined;
  const subscribers = Array.from(
    { length: subscriberProcesses },
    (_, i) => new Child(`${options.name} subscribers ${i + 1}`, new URL('./subscriber.js', import.meta.url)),
  );
  const { port } = await server.request<{ port: number }>('start', options);
  await publisher?.request('start', options);
  return { options, server, publisher, subscribers, port };
}

async function stopStack(stack: Stack): Promise<void> {
  await Promise.allSettled(stack.subscribers.map((child) => child.request('stop', null, 10_000)));
  await Promise.allSettled([
    stack.server.request('stop', null, 10_000),
    stack.publisher?.request('stop', null, 10_000),
  ]);
  await Promise.all([stack.server, stack.publisher, ...stack.subscribers].map((child) => child?.end()));
}

/** `total` split as evenly as possible into `parts`. */
const split = (total: number, parts: number): number[] =>
  Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

const connectArgs = (stack: Stack, count: number) => ({
  target: stack.options.target,
  port: stack.port,
  name: stack.options.name,
  count,
});

// --- Case 1: fanout.

interface Collected {
  delivered: number;
  stray: number;
  outOfOrder: number;
  dropped: number;
  lastAt: number;
  frameBytes: number;
  histogram: string;
}

interface PhaseResult {
  delivered: number;
  expected: number;
  rate: number;
  cpuPerMessage: number;
  histogram: hdr.Histogram;
  outOfOrder: number;
  stray: number;
}

interface FanoutResult {
  phases: Record<string, PhaseResult>;
  redisConnections: number;
  dropped: number;
  frameBytes: number;
}

async function runPhase(stack: Stack, key: string, rate: number, count: number): Promise<PhaseResult> {
  const { subscribers, server, publisher } = stack;
  if (publisher === undefined) throw new Error('this stack has no publisher');
  const phase = `${stack.options.name}-${key}`;
  await Promise.all(subscribers.map((child) => child.request('phase', phase)));
  await server.request('cpu-start');
  const sent = await publisher.request<{ firstAt: number }>(
    'run',
    { phase, count, rate },
    (rate > 0 ? (count / rate) * 1000 : 0) + 60_000,
  );
  // Wait until every subscriber has every event, 3 s pass without progress, or 30 s.
  const expected = count * SUBSCRIBERS;
  const drainStarted = Date.now();
  let total = 0;
  let progressAt = Date.now();
  while (total < expected && Date.now() - progressAt < 3_000 && Date.now() - drainStarted < 30_000) {
    await sleep(200);
    const counts = await Promise.all(subscribers.map((child) => child.request<number>('count')));
    const sum = counts.reduce((a, b) => a + b, 0);
    if (sum > total) {
      total = sum;
      progressAt = Date.now();
    }
  }
  const cpu = await server.request<number>('cpu-stop');
  const parts = await Promise.all(subscribers.map((child) => child.request<Collected>('collect')));
  const histogram = hdr.build();
  for (const part of parts) histogram.add(hdr.decodeFromCompressedBase64(part.histogram));
  const delivered = parts.reduce((sum, part) => sum + part.delivered, 0);
  const lastAt = Math.max(...parts.map((part) => part.lastAt));
  return {
    delivered,
    expected,
    rate: delivered / ((lastAt - sent.firstAt) / 1000),
    cpuPerMessage: cpu / delivered,
    histogram,
    outOfOrder: parts.reduce((sum, part) => sum + part.outOfOrder, 0),
    stray: parts.reduce((sum, part) => sum + part.stray, 0),
  };
}

async function fanoutRound(redis: Redis, target: Target, round: number): Promise<FanoutResult> {
  const options = { target, prefix: PREFIX, name: `fanout-${target}-${round}`, maxLen: 10_000, exactTrim: false };
  const stack = await startStack(options, SUBSCRIBER_PROCESSES, true);
  try {
    const shares = split(SUBSCRIBERS, SUBSCRIBER_PROCESSES);
    await Promise.all(
      stack.subscribers.map((child, i) => child.request('connect', connectArgs(stack, shares[i] ?? 0), 60_000)),
    );
    await runPhase(stack, 'warmup', WARMUP.rate, WARMUP.count);
    const phases: Record<string, PhaseResult> = {};
    for (const { key, rate, count } of PHASES) {
      const result = await runPhase(stack, key, rate, count);
      phases[key] = result;
      console.error(
        `  ${NAMES[target]} ${key}: ${result.delivered}/${result.expected} delivered, ${Math.round(result.rate)}/s, p50 ${ms(result.histogram.getValueAtPercentile(50))} ms, p99 ${ms(result.histogram.getValueAtPercentile(99))} ms, ${result.cpuPerMessage.toFixed(2)} µs CPU/msg`,
      );
    }
    const redisConnections = await countConnections(redis, serverClientName(options));
    const parts = await Promise.all(stack.subscribers.map((child) => child.request<Collected>('collect')));
    const dropped = parts.reduce((sum, part) => sum + part.dropped, 0);
    return { phases, redisConnections, dropped, frameBytes: Math.max(...parts.map((part) => part.frameBytes)) };
  } finally {
    await stopStack(stack);
  }
}

// --- Case 2: idle memory.

interface Memory {
  rss: number;
  heapUsed: number;
}

interface Idle {
  rss: number;
  heap: number;
  open: number;
}

async function idleRound(target: Target, round: number): Promise<Idle> {
  const options = { target, prefix: PREFIX, name: `idle-${target}-${round}`, maxLen: 10_000, exactTrim: false };
  const stack = await startStack(options, SUBSCRIBER_PROCESSES, false);
  try {
    // A few sockets first, so code loaded on the first connection is in the baseline.
    await stack.subscribers[0]?.request('connect', connectArgs(stack, 20), 60_000);
    const before = await stack.server.request<Memory>('memory');
    const shares = split(IDLE_SOCKETS, SUBSCRIBER_PROCESSES);
    await Promise.all(
      stack.subscribers.map((child, i) => child.request('connect', connectArgs(stack, shares[i] ?? 0), 120_000)),
    );
    await sleep(500);
    const after = await stack.server.request<Memory>('memory');
    const open = await stack.server.request<number>('connections');
    return {
      rss: (after.rss - before.rss) / IDLE_SOCKETS,
      heap: (after.heapUsed - before.heapUsed) / IDLE_SOCKETS,
      open,
    };
  } finally {
    await stopStack(stack);
  }
}

// --- Case 3: reconnect after missing events.

async function reconnect(target: Target, expired: boolean, round: number): Promise<Recovery> {
  const options = {
    target,
    prefix: PREFIX,
    name: `reconnect-${expired ? 'expired' : 'retained'}-${target}-${round}`,
    maxLen: expired ? SMALL_MAXLEN : 2 * MISSED,
    exactTrim: expired,
  };
  const stack = await startStack(options, 1, true);
  const [subscriber] = stack.subscribers;
  if (subscriber === undefined || stack.publisher === undefined) throw new Error('incomplete stack');
  try {
    await subscriber.request('rc-connect', connectArgs(stack, 1));
    await stack.publisher.request('run', { phase: 'marker', count: 1, rate: 0 });
    await subscriber.request('rc-marker');
    await subscriber.request('rc-disconnect');
    for (let i = 0; i < 100 && (await stack.server.request<number>('connections')) > 0; i++) await sleep(50);
    await stack.publisher.request('run', { phase: 'missed', count: MISSED, rate: 0 }, 60_000);
    return await subscriber.request<Recovery>('rc-reconnect', { expected: MISSED }, 40_000);
  } finally {
    await stopStack(stack);
  }
}

// --- Redis: connection counts and cleanup.

async function countConnections(redis: Redis, name: string): Promise<number> {
  const list = String(await redis.call('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

// --- Report.

const ms = (micros: number): string => (micros / 1000).toFixed(micros < 10_000 ? 2 : 1);
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const ratio = (a: number, b: number): string => (b === 0 ? '—' : (a / b).toFixed(2));
/** One table row: case, figure, ReplayRail, Socket.IO, ratio. */
const row = (cells: string[]): string[] => cells;

/** A Markdown table with padded columns (as Biome formats it); all but the first two are right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, i) => Math.max(3, title.length, ...rows.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${widths.map((width, i) => (i < 2 ? (cells[i] ?? '').padEnd(width) : (cells[i] ?? '').padStart(width))).join(' | ')} |`;
  const rule = `| ${widths.map((width, i) => (i < 2 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)];
}

function recoveryText(result: Recovery, expired: boolean): string {
  const got = `${int(result.received)} of ${int(MISSED)} missed events`;
  if (result.closeCode !== null) return `closed ${result.closeCode} \`${result.closeReason}\`, ${got}`;
  const recovered = result.recovered === null ? '' : `\`recovered: ${result.recovered}\`, `;
  if (expired) return `${recovered}${got}, no error`;
  const order = result.inOrder
    ? 'each once, in order'
    : `${int(result.duplicates)} duplicates, ${int(result.gaps)} gaps`;
  return `${recovered}${got}, ${order}`;
}

async function run(redis: Redis): Promise<string> {
  const rows: string[][] = [];
  const started = Date.now();
  const elapsed = (): number => Math.round((Date.now() - started) / 1000);

  // Case 1, interleaved rounds.
  const fanout: Record<Target, FanoutResult[]> = { rr: [], sio: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
    for (const target of order) {
      console.error(`fanout round ${round + 1}/${ROUNDS}: ${NAMES[target]} (${elapsed()} s)`);
      fanout[target].push(await fanoutRound(redis, target, round));
    }
  }
  for (const { key, label } of PHASES) {
    const of = (target: Target) => fanout[target].map((result) => result.phases[key] as PhaseResult);
    const rr = of('rr');
    const sio = of('sio');
    const paired = (pick: (result: PhaseResult) => number) =>
      median(rr.map((result, i) => pick(result) / pick(sio[i] as PhaseResult))).toFixed(2);
    const sum = (results: PhaseResult[], pick: (result: PhaseResult) => number) =>
      results.reduce((total, result) => total + pick(result), 0);
    const deliveries = (results: PhaseResult[]) => {
      const misordered = sum(results, (r) => r.outOfOrder + r.stray);
      const extra = misordered > 0 ? `, ${int(misordered)} out of order or late` : '';
      return `${int(sum(results, (r) => r.delivered))} of ${int(sum(results, (r) => r.expected))}${extra}`;
    };
    const name = `fanout ${int(SUBSCRIBERS)} subs, ${label}`;
    rows.push(
      row([
        name,
        'delivered messages/s',
        int(median(rr.map((r) => r.rate))),
        int(median(sio.map((r) => r.rate))),
        paired((r) => r.rate),
      ]),
      row([name, 'deliveries (all rounds)', deliveries(rr), deliveries(sio), '']),
      row([
        name,
        'latency p50 (ms)',
        ms(median(rr.map((r) => r.histogram.getValueAtPercentile(50)))),
        ms(median(sio.map((r) => r.histogram.getValueAtPercentile(50)))),
        paired((r) => r.histogram.getValueAtPercentile(50)),
      ]),
      row([
        name,
        'latency p99 (ms)',
        ms(median(rr.map((r) => r.histogram.getValueAtPercentile(99)))),
        ms(median(sio.map((r) => r.histogram.getValueAtPercentile(99)))),
        paired((r) => r.histogram.getValueAtPercentile(99)),
      ]),
      row([
        name,
        'server CPU µs / delivered message',
        median(rr.map((r) => r.cpuPerMessage)).toFixed(2),
        median(sio.map((r) => r.cpuPerMessage)).toFixed(2),
        paired((r) => r.cpuPerMessage),
      ]),
    );
  }
  const connections = (target: Target) => Math.max(...fanout[target].map((result) => result.redisConnections));
  rows.push(
    row([
      `fanout ${int(SUBSCRIBERS)} subs`,
      "server process's Redis connections",
      String(connections('rr')),
      String(connections('sio')),
      ratio(connections('rr'), connections('sio')),
    ]),
  );
  const dropped = (target: Target) => fanout[target].reduce((total, result) => total + result.dropped, 0);
  rows.push(
    row([
      `fanout ${int(SUBSCRIBERS)} subs`,
      'sockets closed by the server during the run',
      String(dropped('rr')),
      String(dropped('sio')),
      '',
    ]),
  );

  const frame = (target: Target) => Math.max(...fanout[target].map((result) => result.frameBytes));
  rows.push(
    row([
      `fanout ${int(SUBSCRIBERS)} subs`,
      'bytes per event frame (WebSocket payload)',
      int(frame('rr')),
      int(frame('sio')),
      ratio(frame('rr'), frame('sio')),
    ]),
  );

  // Case 2, interleaved rounds.
  const idle: Record<Target, Idle[]> = { rr: [], sio: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of round % 2 === 0 ? TARGETS : [...TARGETS].reverse()) {
      console.error(`idle memory round ${round + 1}/${ROUNDS}: ${NAMES[target]} (${elapsed()} s)`);
      const result = await idleRound(target, round);
      console.error(
        `  ${NAMES[target]} idle: ${(result.rss / 1024).toFixed(1)} KiB RSS, ${(result.heap / 1024).toFixed(1)} KiB heap per socket`,
      );
      idle[target].push(result);
    }
  }
  const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
  const idleName = `idle ${int(IDLE_SOCKETS)} sockets`;
  const idleRow = (figure: string, pick: (result: Idle) => number, format: (value: number) => string) =>
    row([
      idleName,
      figure,
      format(median(idle.rr.map(pick))),
      format(median(idle.sio.map(pick))),
      median(idle.rr.map((result, i) => pick(result) / pick(idle.sio[i] as Idle))).toFixed(2),
    ]);
  rows.push(
    idleRow('server RSS growth per socket (KiB)', (result) => result.rss, kib),
    idleRow('server heap growth per socket (KiB)', (result) => result.heap, kib),
    row([
      idleName,
      'server RSS growth per socket, each round (KiB)',
      idle.rr.map((result) => kib(result.rss)).join(' / '),
      idle.sio.map((result) => kib(result.rss)).join(' / '),
      idle.rr.map((result, i) => (result.rss / (idle.sio[i] as Idle).rss).toFixed(2)).join(' / '),
    ]),
    row([
      idleName,
      'sockets open on the server (min of rounds)',
      int(Math.min(...idle.rr.map((result) => result.open))),
      int(Math.min(...idle.sio.map((result) => result.open))),
      '',
    ]),
  );

  // Case 3: the retained case interleaved over the rounds, the expired case once.
  for (const expired of [false, true]) {
    const results: Record<Target, Recovery[]> = { rr: [], sio: [] };
    const rounds = expired ? 1 : ROUNDS;
    for (let round = 0; round < rounds; round++) {
      for (const target of round % 2 === 0 ? TARGETS : [...TARGETS].reverse()) {
        console.error(
          `reconnect (${expired ? 'expired' : 'retained'}) round ${round + 1}/${rounds}: ${NAMES[target]} (${elapsed()} s)`,
        );
        results[target].push(await reconnect(target, expired, round));
      }
    }
    const got = (target: Target) =>
      `${[...new Set(results[target].map((result) => recoveryText(result, expired)))].join('; ')}${rounds > 1 ? ` (${rounds} rounds)` : ''}`;
    const name = expired
      ? `reconnect, missed ${int(MISSED)}, stream keeps ${int(SMALL_MAXLEN)}`
      : `reconnect, missed ${int(MISSED)}`;
    if (!expired) {
      const times = (target: Target) => results[target].map((result) => result.ms ?? Number.NaN);
      const complete = [...times('rr'), ...times('sio')].every((value) => !Number.isNaN(value));
      rows.push(
        row([
          name,
          `time until all ${int(MISSED)} arrived (ms, median)`,
          complete ? int(median(times('rr'))) : '—',
          complete ? int(median(times('sio'))) : '—',
          complete ? median(times('rr').map((value, i) => value / (times('sio')[i] as number))).toFixed(2) : '—',
        ]),
      );
    }
    rows.push(row([name, 'what the subscriber got', got('rr'), got('sio'), '']));
  }

  const server = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const commit = gitCommit();
  return [
    '# Fanout benchmark: ReplayRail vs Socket.IO',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${server} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${commit} · ${elapsed()} s`,
    '',
    'ReplayRail: `ReplayRailWebSocketServer` on `RedisStreamStore` (ioredis); subscribers are `ws` clients of',
    '`/ws/<channel>`; the publisher calls `rail.publish`. Socket.IO 4: `connectionStateRecovery` and',
    '`@socket.io/redis-streams-adapter` (ioredis), WebSocket transport only; subscribers are socket.io-client',
    'sockets in one room; the publisher is a Socket.IO server instance on the same adapter calling `io.to(room).emit`.',
    'Publisher, server and subscribers are separate processes on 127.0.0.1; the payload is the same',
    `${JSON.stringify(samplePayload('rate100', 0)).length} bytes of JSON with its send time (the frame around it differs: see the table).`,
    `Fanout: ${int(SUBSCRIBERS)} subscribers over ${SUBSCRIBER_PROCESSES} processes, after a ${WARMUP.count}-event warm-up;`,
    `${ROUNDS} rounds per target of every case but the expired one, interleaved (alternating which goes first).`,
    'Messages/s is deliveries divided by the time from the first send to the last delivery (median of rounds);',
    "latency is receipt minus send time, from one round's HDR histograms merged over its subscriber processes",
    "(median of rounds); CPU is the server process's user + system time over the phase divided by deliveries",
    '(median of rounds); ratios of per-round figures are the median of the paired rounds. Redis connections:',
    "lines of CLIENT LIST carrying the server process's client name, taken with the subscribers connected.",
    "Idle memory: the server's RSS and heap",
    `after \`gc()\` with ${int(IDLE_SOCKETS)} more idle subscribed sockets minus before (after 20 warm-up sockets),`,
    `per socket, median of rounds. Reconnect: one subscriber gets one event, drops its connection, ${int(MISSED)} events are`,
    'published, it reconnects with its cursor (ReplayRail `?last_event_id=`, Socket.IO its session and offset);',
    'the time runs from the reconnect call to the last missed event. In the expired case the streams keep',
    `${int(SMALL_MAXLEN)} events (ReplayRail \`maxStreamLength: ${SMALL_MAXLEN}\`, \`approximateTrimming: false\`;`,
    `the adapter's \`maxLen: ${SMALL_MAXLEN}\`, always \`MAXLEN ~\`). 2 cores shared by Redis and every process;`,
    'no case was scaled down, and the deliveries rows show whether every subscriber got every event.',
    '',
    ...table(['case', 'figure', 'ReplayRail', 'Socket.IO', 'ReplayRail ÷ Socket.IO'], rows),
    '',
  ].join('\n');
}

// --- Main: run, report, and always clean up.

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectionName: `${PREFIX}-driver` });
redis.on('error', () => {});
let finished = false;

async function shutdown(code: number): Promise<never> {
  if (finished) return new Promise<never>(() => {});
  finished = true;
  for (const child of children) child.kill();
  await sleep(300);
  try {
    const deleted = await deleteKeys(redis, PREFIX);
    console.error(`deleted ${deleted} keys under ${PREFIX}:*`);
    const left = String(await redis.call('CLIENT', 'LIST'))
      .split('\n')
      .filter((line) => line.includes(` name=${PREFIX}-`) && !line.includes(` name=${PREFIX}-driver `)).length;
    console.error(`Redis connections of this run still open: ${left}`);
  } catch (error) {
    console.error('cleanup failed:', error);
  }
  await redis.quit().catch(() => {});
  process.exit(code);
}

const limit = setTimeout(() => {
  console.error(`time limit of ${TIME_LIMIT_MS / 1000} s reached, stopping`);
  void shutdown(1);
}, TIME_LIMIT_MS);
process.once('SIGINT', () => void shutdown(130));
process.once('SIGTERM', () => void shutdown(143));
process.on('exit', () => {
  for (const child of children) child.kill();
});

let exitCode = 0;
try {
  console.error(`prefix ${PREFIX}`);
  const report = await run(redis);
  console.log(report);
  const dir = new URL('../../results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('fanout.md', dir), report);
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  clearTimeout(limit);
  await shutdown(exitCode);
}
