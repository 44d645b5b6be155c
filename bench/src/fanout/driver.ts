/**
 * Fanout benchmark: ReplayRail (`@replayrail/server-ws`, and `@replayrail/adapter-hono` on
 * `@hono/node-server` with the adapter's Node helper, both on `@replayrail/store-redis`)
 * held to the floor (floor.ts: a bare shared `XREAD` / `XRANGE`, frame-once, corked-write
 * server speaking the same endpoint) and beside Socket.IO 4 (`connectionStateRecovery` +
 * `@socket.io/redis-streams-adapter`), the peer, all on ioredis against REDIS_URL (default
 * 127.0.0.1:6379), doing the same work. This driver forks, per target, a server process,
 * a publisher process and subscriber processes (server.js, publisher.js, subscriber.js),
 * coordinates them over IPC and writes the report; all traffic stays on 127.0.0.1.
 *
 * - Fanout: 500 subscribers of one channel / room over 2 subscriber processes;
 *   the publisher sends 50 and 100 events/s for 10 s each, then a burst of 1,000 as
 *   fast as it can. Per phase: delivered messages/s, end-to-end latency p50/p99
 *   (send time in the payload → receipt, HDR histograms merged across processes),
 *   the server's CPU µs per delivered message (`process.cpuUsage()` inside the
 *   server over the phase) and its Redis connections (CLIENT LIST, by client name).
 *   Rounds run interleaved, alternating the order of the targets, so machine noise
 *   hits all alike.
 * - Idle memory: 2,000 idle subscribed sockets; the server's RSS after `gc()` with
 *   them minus before, per socket, as a fresh process meets them and in the steady
 *   state (see `idleRound`). Also the Hono adapter on `@hono/node-ws`, which the
 *   adapter's own helper replaces (README of adapter-hono, "WebSockets on Node").
 * - Reconnect: one subscriber misses 10,000 events and comes back with its cursor, three
 *   times a round (the median kept);
 *   the time until it has them all and whether each came once, in order. Then one
 *   that misses more than the stream keeps (1,000): what each target but the floor
 *   (which checks no expiry) does.
 *
 * Every key lives under a unique `rrfanout-<time>` prefix and is deleted at the end
 * (SCAN + DEL), also on error, Ctrl-C or the time limit; every child is killed.
 * Results go to stdout and bench/results/fanout.md (`BENCH_NOTE` adds a line under the
 * header, e.g. what else ran on the machine). `SMOKE=1` runs one round of small sizes
 * and writes no results file. Run: `pnpm --filter @replayrail/bench run bench:fanout`
 * after `pnpm build`.
 */

import os from 'node:os';
import { Redis } from 'ioredis';
import { gitCommit, int, median, spread, table, writeResults } from '../common.js';
import { REDIS_URL, type Recovery, railConfig, samplePayload, serverClientName, sleep, type Target } from './shared.js';
import {
  type Collected,
  connectArgs,
  connectSubscribers,
  type PhaseResult,
  runPhase,
  runToTheEnd,
  startStack,
  stopStack,
} from './stack.js';

const SMOKE = process.env.SMOKE === '1';
const NOTE = process.env.BENCH_NOTE;
const PREFIX = `rrfanout-${Date.now()}`;
const SUBSCRIBERS = SMOKE ? 50 : 500;
const SUBSCRIBER_PROCESSES = 2;
const PHASES = [
  { key: 'rate50', label: '50 events/s, 10 s', rate: 50, count: SMOKE ? 50 : 500 },
  { key: 'rate100', label: '100 events/s, 10 s', rate: 100, count: SMOKE ? 100 : 1_000 },
  { key: 'burst', label: 'burst of 1,000 events', rate: 0, count: 1_000 },
] as const;
const WARMUP = { rate: 50, count: SMOKE ? 20 : 100 };
const ROUNDS = SMOKE ? 1 : 3;
const IDLE_SOCKETS = SMOKE ? 200 : 2_000;
const MISSED = SMOKE ? 2_000 : 10_000;
/** Catch-ups per target per round in the retained case (the median is kept). */
const CATCH_UPS = SMOKE ? 1 : 3;
const SMALL_MAXLEN = 1_000;
const TIME_LIMIT_MS = 1_500_000;
const TARGETS: readonly Target[] = ['rr', 'hono', 'floor', 'sio'];
const NAMES: Record<Target, string> = { rr: 'server-ws', hono: 'Hono adapter', floor: 'floor', sio: 'Socket.IO' };
/** The ReplayRail servers, each held to the floor and set beside Socket.IO. */
const RAILS = ['rr', 'hono'] as const;
type Rail = (typeof RAILS)[number];
/** What a ratio is taken to: the floor (the target) or Socket.IO (the peer). */
type Base = 'floor' | 'sio';

// --- Case 1: fanout.

interface FanoutResult {
  phases: Record<string, PhaseResult>;
  redisConnections: number;
  dropped: number;
  frameBytes: number;
}

async function fanoutRound(redis: Redis, target: Target, round: number): Promise<FanoutResult> {
  const options = { target, prefix: PREFIX, name: `fanout-${target}-${round}`, maxLen: 10_000, exactTrim: false };
  const stack = await startStack(options, SUBSCRIBER_PROCESSES, true);
  try {
    await connectSubscribers(stack, SUBSCRIBERS, 60_000);
    await runPhase(stack, 'warmup', WARMUP.rate, WARMUP.count, SUBSCRIBERS);
    const phases: Record<string, PhaseResult> = {};
    for (const { key, rate, count } of PHASES) {
      const result = await runPhase(stack, key, rate, count, SUBSCRIBERS);
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
  /** The first 2,000 sockets of the process: RSS and heap growth per socket after `gc()`. */
  rss: number;
  heap: number;
  /** 2,000 more once as many came and went: growth per socket after a memory-reducing collection. */
  steadyRss: number;
  steadyHeap: number;
  open: number;
}

/**
 * Idle sockets, measured twice in one server process. First as a fresh process meets
 * them (after 20 warm-up sockets, `gc()`): what the first 2,000 sockets cost, one-time
 * growth included (the young generation grows under the handshakes' allocation, the
 * code they run gets compiled, the allocator's arenas grow), which lands in RSS unevenly
 * from run to run. Then the steady state: those sockets closed, 2,000 new ones, and
 * both readings after a memory-reducing collection: what an idle socket itself holds.
 */
async function idleRound(target: Target, round: number, nodeWs = false): Promise<Idle> {
  const name = `idle-${target}${nodeWs ? '-node-ws' : ''}-${round}`;
  const options = { target, prefix: PREFIX, name, maxLen: 10_000, exactTrim: false, nodeWs };
  const stack = await startStack(options, SUBSCRIBER_PROCESSES, false);
  const perSocket = (before: Memory, after: Memory) => ({
    rss: (after.rss - before.rss) / IDLE_SOCKETS,
    heap: (after.heapUsed - before.heapUsed) / IDLE_SOCKETS,
  });
  try {
    // A few sockets first, so code loaded on the first connection is in the baseline.
    await stack.subscribers[0]?.request('connect', connectArgs(stack, 20), 60_000);
    const before = await stack.server.request<Memory>('memory');
    await connectSubscribers(stack, IDLE_SOCKETS, 120_000);
    await sleep(500);
    const first = perSocket(before, await stack.server.request<Memory>('memory'));
    const open = await stack.server.request<number>('connections');
    await Promise.all(stack.subscribers.map((child) => child.request('disconnect')));
    for (let i = 0; i < 200 && (await stack.server.request<number>('connections')) > 0; i++) await sleep(50);
    const emptied = await stack.server.request<Memory>('memory', 'reduce');
    await connectSubscribers(stack, IDLE_SOCKETS, 120_000);
    await sleep(500);
    const steady = perSocket(emptied, await stack.server.request<Memory>('memory', 'reduce'));
    return { ...first, steadyRss: steady.rss, steadyHeap: steady.heap, open };
  } finally {
    await stopStack(stack);
  }
}

// --- Case 3: reconnect after missing events.

type Reconnect = Recovery & { xrange?: { plain: number; decoded: number } };

/** The attempt with the median time; one that did not get every event in order stands for all. */
function medianRecovery(attempts: readonly Recovery[]): Recovery {
  const failed = attempts.find((attempt) => !attempt.inOrder || attempt.ms === null);
  if (failed !== undefined) return failed;
  const sorted = [...attempts].sort((a, b) => (a.ms as number) - (b.ms as number));
  return sorted[Math.floor((sorted.length - 1) / 2)] as Recovery;
}

async function reconnect(target: Target, expired: boolean, round: number): Promise<Reconnect> {
  const options = {
    target,
    prefix: PREFIX,
    name: `reconnect-${expired ? 'expired' : 'retained'}-${target}-${round}`,
    maxLen: expired ? SMALL_MAXLEN : (CATCH_UPS + 1) * MISSED,
    exactTrim: expired,
  };
  const stack = await startStack(options, 1, true);
  const [subscriber] = stack.subscribers;
  if (subscriber === undefined || stack.publisher === undefined) throw new Error('incomplete stack');
  try {
    await subscriber.request('rc-connect', connectArgs(stack, 1));
    await stack.publisher.request('run', { phase: 'marker', count: 1, rate: 0 });
    await subscriber.request('rc-marker');
    // The retained case three times over (each from the cursor the last one reached),
    // the median kept: one catch-up of 10,000 lasts a tenth of a second, and a single
    // one moves with whatever else the machine did in that tenth.
    const attempts: Recovery[] = [];
    for (let attempt = 0; attempt < (expired ? 1 : CATCH_UPS); attempt++) {
      await subscriber.request('rc-disconnect');
      for (let i = 0; i < 100 && (await stack.server.request<number>('connections')) > 0; i++) await sleep(50);
      await stack.publisher.request('run', { phase: 'missed', count: MISSED, rate: 0 }, 60_000);
      attempts.push(await subscriber.request<Recovery>('rc-reconnect', { expected: MISSED }, 40_000));
      if (attempts.at(-1)?.inOrder !== true) break;
    }
    const recovery = medianRecovery(attempts);
    if (target === 'sio' || target === 'floor' || expired) return recovery;
    // The same missed entries again, read with a plain XRANGE loop: the floor of a catch-up.
    const key = `${railConfig(options).streamPrefix}:${options.name}`;
    const xrange = await subscriber.request<{ plain: number; decoded: number }>(
      'xrange-loop',
      { key, count: MISSED },
      40_000,
    );
    return { ...recovery, xrange };
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

/**
 * A goal of the benchmark: a figure's per-round ratios for each ReplayRail server (none
 * where the goal is not that server's), and the bound they must stay under (or over).
 */
interface Goal {
  readonly figure: string;
  readonly bound: string;
  readonly ratios: Partial<Record<Rail, number[]>>;
  readonly holds: (ratio: number) => boolean;
}

function goalRow(goal: Goal): string[] {
  const cell = (rail: Rail) => {
    const ratios = goal.ratios[rail];
    if (ratios === undefined) return '';
    const met = ratios.filter(goal.holds).length;
    const verdict = goal.holds(median(ratios)) && met >= Math.min(2, ratios.length) ? 'holds' : 'misses';
    return `${spread(ratios)}: ${verdict} (median; ${met} of ${ratios.length} rounds)`;
  };
  return [goal.figure, goal.bound, cell('rr'), cell('hono')];
}

const kib = (bytes: number): string => (bytes / 1024).toFixed(1);

async function run(redis: Redis): Promise<string> {
  const rows: string[][] = [];
  const started = Date.now();
  const elapsed = (): number => Math.round((Date.now() - started) / 1000);
  const perTarget = <T>(): Record<Target, T[]> => ({ rr: [], hono: [], floor: [], sio: [] });
  /** Each round's ratio of `rail`'s figure to `base`'s, in the same round. */
  const ratios = <T>(results: Record<Target, T[]>, pick: (result: T) => number, rail: Rail, base: Target): number[] =>
    results[rail].map((result, i) => pick(result) / pick(results[base][i] as T));
  const ratiosOf = <T>(results: Record<Target, T[]>, pick: (result: T) => number, base: Base) => ({
    rr: ratios(results, pick, 'rr', base),
    hono: ratios(results, pick, 'hono', base),
  });
  // One row: the targets' medians, then each ReplayRail server's per-round ratios to the floor and to Socket.IO.
  const figureRow = <T>(
    name: string,
    figure: string,
    results: Record<Target, T[]>,
    pick: (result: T) => number,
    format: (value: number) => string,
  ): string[] => [
    name,
    figure,
    ...TARGETS.map((target) => (results[target].length > 0 ? format(median(results[target].map(pick))) : '—')),
    ...(['floor', 'sio'] as const).flatMap((base) =>
      RAILS.map((rail) => (results[base].length > 0 ? spread(ratios(results, pick, rail, base)) : '')),
    ),
  ];
  const blank = ['', '', '', ''];
  const goals: Goal[] = [];
  const peerGoals: Goal[] = [];
  const order = (round: number): readonly Target[] => (round % 2 === 0 ? TARGETS : [...TARGETS].reverse());

  // Case 1, interleaved rounds.
  const fanout = perTarget<FanoutResult>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of order(round)) {
      console.error(`fanout round ${round + 1}/${ROUNDS}: ${NAMES[target]} (${elapsed()} s)`);
      fanout[target].push(await fanoutRound(redis, target, round));
    }
  }
  for (const { key, label } of PHASES) {
    const phase = perTarget<PhaseResult>();
    for (const target of TARGETS) phase[target] = fanout[target].map((result) => result.phases[key] as PhaseResult);
    const sum = (results: PhaseResult[], pick: (result: PhaseResult) => number) =>
      results.reduce((total, result) => total + pick(result), 0);
    const deliveries = (results: PhaseResult[]) => {
      const misordered = sum(results, (r) => r.outOfOrder + r.stray);
      const extra = misordered > 0 ? `, ${int(misordered)} out of order or late` : '';
      return `${int(sum(results, (r) => r.delivered))} of ${int(sum(results, (r) => r.expected))}${extra}`;
    };
    const name = `fanout ${int(SUBSCRIBERS)} subs, ${label}`;
    const p99 = (r: PhaseResult) => r.histogram.getValueAtPercentile(99);
    const cpu = (r: PhaseResult) => r.cpuPerMessage;
    rows.push(
      figureRow(name, 'delivered messages/s', phase, (r) => r.rate, int),
      [name, 'deliveries (all rounds)', ...TARGETS.map((target) => deliveries(phase[target])), ...blank],
      figureRow(name, 'latency p50 (ms)', phase, (r) => r.histogram.getValueAtPercentile(50), ms),
      figureRow(name, 'latency p99 (ms)', phase, p99, ms),
      figureRow(name, 'server CPU µs / delivered message', phase, cpu, (v) => v.toFixed(2)),
    );
    if (key === 'rate100') {
      goals.push({
        figure: 'server CPU per delivered message at 100 events/s',
        bound: '≤ 1.15× the floor',
        ratios: ratiosOf(phase, cpu, 'floor'),
        holds: (ratio) => ratio <= 1.15,
      });
      peerGoals.push(
        {
          figure: 'latency p99 at 100 events/s',
          bound: '≤ 0.50× Socket.IO',
          ratios: ratiosOf(phase, p99, 'sio'),
          holds: (ratio) => ratio <= 0.5,
        },
        {
          figure: 'server CPU per delivered message at 100 events/s',
          bound: '≤ 0.75× Socket.IO',
          ratios: ratiosOf(phase, cpu, 'sio'),
          holds: (ratio) => ratio <= 0.75,
        },
      );
    }
    if (key === 'burst') {
      peerGoals.push(
        {
          figure: 'server CPU per delivered message at saturation (burst)',
          bound: '≤ 0.20× Socket.IO',
          ratios: ratiosOf(phase, cpu, 'sio'),
          holds: (ratio) => ratio <= 0.2,
        },
        {
          figure: 'delivered messages/s at saturation (burst)',
          bound: '≥ 1.5× Socket.IO',
          ratios: ratiosOf(phase, (r) => r.rate, 'sio'),
          holds: (ratio) => ratio >= 1.5,
        },
      );
    }
  }
  const each = (pick: (result: FanoutResult) => number, format: (value: number) => string) =>
    TARGETS.map((target) => format(Math.max(...fanout[target].map(pick))));
  const fanoutName = `fanout ${int(SUBSCRIBERS)} subs`;
  rows.push(
    [fanoutName, "server process's Redis connections (most)", ...each((r) => r.redisConnections, String), ...blank],
    [
      fanoutName,
      'sockets closed by the server during the run',
      ...TARGETS.map((target) => String(fanout[target].reduce((total, result) => total + result.dropped, 0))),
      ...blank,
    ],
    [fanoutName, 'bytes per event frame (WebSocket payload)', ...each((r) => r.frameBytes, int), ...blank],
  );

  // Case 2, interleaved rounds, then the Hono adapter on @hono/node-ws in each round.
  const idle = perTarget<Idle>();
  const honoNodeWs: Idle[] = [];
  const logIdle = (what: string, result: Idle): void =>
    console.error(
      `  ${what} idle: first ${kib(result.rss)} KiB RSS, ${kib(result.heap)} KiB heap; steady ${kib(result.steadyRss)} KiB RSS, ${kib(result.steadyHeap)} KiB heap per socket`,
    );
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of order(round)) {
      console.error(`idle memory round ${round + 1}/${ROUNDS}: ${NAMES[target]} (${elapsed()} s)`);
      const result = await idleRound(target, round);
      logIdle(NAMES[target], result);
      idle[target].push(result);
    }
    const result = await idleRound('hono', round, true);
    logIdle('Hono adapter on @hono/node-ws', result);
    honoNodeWs.push(result);
  }
  const idleName = `idle ${int(IDLE_SOCKETS)} sockets`;
  const steadyName = `idle, ${int(IDLE_SOCKETS)} more once as many came and went`;
  const rss = (r: Idle) => r.rss;
  const steadyRss = (r: Idle) => r.steadyRss;
  // The Hono adapter on @hono/node-ws: its figure, and its ratios to the floor and to Socket.IO.
  const onNodeWs = (pick: (r: Idle) => number, heap: (r: Idle) => number): string[] => [
    '',
    `${kib(median(honoNodeWs.map(pick)))} / ${kib(median(honoNodeWs.map(heap)))}`,
    '',
    '',
    '',
    `${spread(honoNodeWs.map((r, i) => pick(r) / pick(idle.floor[i] as Idle)))} (RSS)`,
    '',
    `${spread(honoNodeWs.map((r, i) => pick(r) / pick(idle.sio[i] as Idle)))} (RSS)`,
  ];
  const honoToRr = (pick: (r: Idle) => number) => ratios(idle, pick, 'hono', 'rr');
  const honoToRrRow = (name: string, pick: (r: Idle) => number): string[] => [
    name,
    'Hono adapter ÷ server-ws, RSS per socket (min / median / max); on `@hono/node-ws`',
    '',
    `${spread(honoToRr(pick))}; ${spread(honoNodeWs.map((r, i) => pick(r) / pick(idle.rr[i] as Idle)))}`,
    '',
    '',
    ...blank,
  ];
  rows.push(
    figureRow(idleName, 'server RSS growth per socket (KiB)', idle, rss, kib),
    figureRow(idleName, 'server heap growth per socket (KiB)', idle, (r) => r.heap, kib),
    [
      idleName,
      'the same, the Hono adapter on `@hono/node-ws` (the helper it replaces): RSS / heap per socket (KiB)',
      ...onNodeWs(rss, (r) => r.heap),
    ],
    honoToRrRow(idleName, rss),
    [
      idleName,
      'sockets open on the server (min of rounds)',
      ...TARGETS.map((target) => int(Math.min(...idle[target].map((result) => result.open)))),
      ...blank,
    ],
    figureRow(steadyName, 'server RSS growth per socket (KiB)', idle, steadyRss, kib),
    figureRow(steadyName, 'server heap growth per socket (KiB)', idle, (r) => r.steadyHeap, kib),
    [
      steadyName,
      'the same, the Hono adapter on `@hono/node-ws`: RSS / heap per socket (KiB)',
      ...onNodeWs(steadyRss, (r) => r.steadyHeap),
    ],
    honoToRrRow(steadyName, steadyRss),
  );
  goals.push(
    {
      figure: `RSS per idle socket, the first ${int(IDLE_SOCKETS)} of the process (Hono adapter ÷ server-ws)`,
      bound: '≤ 1.15× server-ws',
      ratios: { hono: honoToRr(rss) },
      holds: (ratio) => ratio <= 1.15,
    },
    {
      figure: 'RSS per idle socket, steady state (Hono adapter ÷ server-ws)',
      bound: '≤ 1.15× server-ws',
      ratios: { hono: honoToRr(steadyRss) },
      holds: (ratio) => ratio <= 1.15,
    },
  );
  peerGoals.push({
    figure: 'RSS per idle connection',
    bound: '≤ 0.50× Socket.IO',
    ratios: ratiosOf(idle, rss, 'sio'),
    holds: (ratio) => ratio <= 0.5,
  });

  // Case 3: the retained case interleaved over the rounds, the expired case once, without the floor.
  for (const expired of [false, true]) {
    const results = perTarget<Reconnect>();
    const rounds = expired ? 1 : ROUNDS;
    const targets = (round: number) => order(round).filter((target) => !expired || target !== 'floor');
    for (let round = 0; round < rounds; round++) {
      for (const target of targets(round)) {
        console.error(
          `reconnect (${expired ? 'expired' : 'retained'}) round ${round + 1}/${rounds}: ${NAMES[target]} (${elapsed()} s)`,
        );
        results[target].push(await reconnect(target, expired, round));
      }
    }
    const got = (target: Target) =>
      results[target].length === 0
        ? '— (no expiry check)'
        : `${[...new Set(results[target].map((result) => recoveryText(result, expired)))].join('; ')}${rounds > 1 ? ` (${rounds} rounds)` : ''}`;
    const name = expired
      ? `reconnect, missed ${int(MISSED)}, stream keeps ${int(SMALL_MAXLEN)}`
      : `reconnect, missed ${int(MISSED)}`;
    if (!expired) {
      const time = (result: Recovery) => result.ms ?? Number.NaN;
      rows.push(figureRow(name, `time until all ${int(MISSED)} arrived (ms)`, results, time, int));
      const loop = (result: Reconnect, kind: 'plain' | 'decoded') => result.xrange?.[kind] ?? Number.NaN;
      for (const [kind, what] of [
        ['plain', 'no decoding'],
        ['decoded', "each entry's JSON fields parsed"],
      ] as const) {
        const cell = (rail: Rail) =>
          `${int(median(results[rail].map((result) => loop(result, kind))))} ms; ÷ ${spread(results[rail].map((result) => time(result) / loop(result, kind)))}`;
        rows.push([
          name,
          `plain XRANGE loop in the subscriber over the same ${int(MISSED)}, pages of 1,000, ${what}; catch-up ÷ it`,
          ...RAILS.map(cell),
          '',
          '',
          ...blank,
        ]);
      }
      goals.push({
        figure: `catch-up of ${int(MISSED)} missed events`,
        bound: '≤ 1.15× the floor',
        ratios: ratiosOf(results, time, 'floor'),
        holds: (ratio) => ratio <= 1.15,
      });
      peerGoals.push({
        figure: `catch-up of ${int(MISSED)} missed events`,
        bound: '≤ 0.75× Socket.IO',
        ratios: ratiosOf(results, time, 'sio'),
        holds: (ratio) => ratio <= 0.75,
      });
    }
    rows.push([name, 'what the subscriber got', ...TARGETS.map(got), ...blank]);
  }

  const server = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const commit = gitCommit();
  const goalHeader = ['figure', 'target', 'server-ws (min / median / max)', 'Hono adapter (min / median / max)'];
  return [
    '# Fanout benchmark: ReplayRail (server-ws, Hono adapter) against the floor, beside Socket.IO',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${server} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${commit} · ${elapsed()} s${SMOKE ? ' · SMOKE (small sizes, one round)' : ''}`,
    ...(NOTE === undefined ? [] : ['', NOTE]),
    '',
    'server-ws: `ReplayRailWebSocketServer` on `RedisStreamStore` (ioredis). Hono adapter:',
    "`createReplayRailRoutes` on `@hono/node-server` with the adapter's Node helper (`@replayrail/adapter-hono/node`),",
    'the same store. The floor (bench/src/fanout/floor.ts): a plain `ws` server on `node:http` serving the same',
    'one-channel endpoint from the same stream, one shared blocking `XREAD`, each entry framed once (its stored JSON',
    'spliced in, nothing decoded or checked) and a batch written to each socket in one corked write, a catch-up by',
    '`XRANGE` pages of 1,000; no admission, validation, expiry check, heartbeat or backpressure. Their subscribers are',
    '`ws` clients of `/ws/<channel>`; their publisher calls `rail.publish`. Socket.IO 4, the peer: `connectionStateRecovery`',
    'and `@socket.io/redis-streams-adapter` (ioredis), WebSocket transport only; subscribers are socket.io-client',
    'sockets in one room; the publisher is a Socket.IO server instance on the same adapter calling `io.to(room).emit`.',
    'Publisher, server and subscribers are separate processes on 127.0.0.1; the payload is the same',
    `${JSON.stringify(samplePayload('rate100', 0)).length} bytes of JSON with its send time (the frame around it differs: see the table).`,
    `Fanout: ${int(SUBSCRIBERS)} subscribers over ${SUBSCRIBER_PROCESSES} processes, after a ${WARMUP.count}-event warm-up;`,
    `${ROUNDS} rounds per target of every case but the expired one, interleaved (the order reversing each round).`,
    'Messages/s is deliveries divided by the time from the first send to the last delivery;',
    "latency is receipt minus send time, from one round's HDR histograms merged over its subscriber processes;",
    "CPU is the server process's user + system time over the phase divided by deliveries. Figures are medians",
    "of the rounds; each ReplayRail server's ratio to the floor and to Socket.IO is taken per round (the same round's",
    'figures) and given as min / median / max over the rounds.',
    "Redis connections: lines of CLIENT LIST carrying the server process's client name, with the subscribers",
    "connected. Idle memory, twice per server process: the server's RSS and heap after `gc()` with",
    `${int(IDLE_SOCKETS)} more idle subscribed sockets minus before (after 20 warm-up sockets), per socket: the first`,
    `sockets of a fresh process, one-time growth included; then, those closed, ${int(IDLE_SOCKETS)} new ones, RSS and heap`,
    'after a memory-reducing collection (`gc({ flavor: "last-resort" })`, which also shrinks the young generation)',
    'with them minus before: the steady state. Reconnect: one subscriber gets one event, drops its connection,',
    `${int(MISSED)} events are published, it reconnects with its cursor (ReplayRail and the floor \`?last_event_id=\`,`,
    'Socket.IO its session and offset); the time runs from the reconnect call to the last missed event. Per round',
    `and target this runs ${CATCH_UPS} times in a row (each from the cursor the last one reached) and the median time is`,
    'kept (one that lost or repeated an event would be kept instead). The plain XRANGE loop reads the first',
    'batch of missed entries afterwards in the subscriber process. In the expired case the streams keep',
    `${int(SMALL_MAXLEN)} events (ReplayRail \`maxStreamLength: ${SMALL_MAXLEN}\`, \`approximateTrimming: false\`;`,
    `the adapter's \`maxLen: ${SMALL_MAXLEN}\`, always \`MAXLEN ~\`); the floor does not run it. 2 cores shared by Redis`,
    'and every process; no case was scaled down, and the deliveries rows show whether every subscriber got every event.',
    '',
    '## Targets',
    '',
    `A target holds when it holds in the median of the rounds and in at least 2 of ${ROUNDS}.`,
    '',
    ...table(goalHeader, goals.map(goalRow)),
    '',
    'Against the peer (the targets of the previous round of work, kept to watch):',
    '',
    ...table(goalHeader, peerGoals.map(goalRow)),
    '',
    '## Every figure',
    '',
    ...table(
      [
        'case',
        'figure',
        'server-ws',
        'Hono adapter',
        'floor',
        'Socket.IO',
        'server-ws ÷ floor',
        'Hono ÷ floor',
        'server-ws ÷ Socket.IO',
        'Hono ÷ Socket.IO',
      ],
      rows,
    ),
    '',
  ].join('\n');
}

// --- Main: run, report, and always clean up.

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectionName: `${PREFIX}-driver` });
redis.on('error', () => {});
await runToTheEnd({
  redis,
  prefix: PREFIX,
  timeLimitMs: TIME_LIMIT_MS,
  async main() {
    console.error(`prefix ${PREFIX}`);
    const report = await run(redis);
    console.log(report);
    if (!SMOKE) await writeResults('fanout.md', report);
  },
});
