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

import os from 'node:os';
import { Redis } from 'ioredis';
import { gitCommit, int, median, spread, table, writeResults } from '../common.js';
import {
  isRail,
  REDIS_URL,
  type Recovery,
  railConfig,
  samplePayload,
  serverClientName,
  sleep,
  type Target,
} from './shared.js';
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
const TIME_LIMIT_MS = 720_000;
const TARGETS: readonly Target[] = ['rr', 'hono', 'sio'];
const NAMES: Record<Target, string> = { rr: 'server-ws', hono: 'Hono adapter', sio: 'Socket.IO' };
/** The ReplayRail servers, each held against Socket.IO. */
const RAILS = ['rr', 'hono'] as const;

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
  rss: number;
  heap: number;
  open: number;
}

async function idleRound(target: Target, round: number, bare = false): Promise<Idle> {
  const name = `idle-${target}${bare ? '-bare' : ''}-${round}`;
  const options = { target, prefix: PREFIX, name, maxLen: 10_000, exactTrim: false, bare };
  const stack = await startStack(options, SUBSCRIBER_PROCESSES, false);
  try {
    // A few sockets first, so code loaded on the first connection is in the baseline.
    await stack.subscribers[0]?.request('connect', connectArgs(stack, 20), 60_000);
    const before = await stack.server.request<Memory>('memory');
    await connectSubscribers(stack, IDLE_SOCKETS, 120_000);
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

type Reconnect = Recovery & { xrange?: { plain: number; decoded: number } };

async function reconnect(target: Target, expired: boolean, round: number): Promise<Reconnect> {
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
    const recovery = await subscriber.request<Recovery>('rc-reconnect', { expected: MISSED }, 40_000);
    if (!isRail(target) || expired) return recovery;
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

/** A goal of the benchmark: a figure's per-round ratios, and the bound they must stay under (or over). */
interface Goal {
  readonly figure: string;
  readonly bound: string;
  readonly ratios: Record<(typeof RAILS)[number], number[]>;
  readonly holds: (ratio: number) => boolean;
}

function goalRow(target: Goal): string[] {
  const cell = (rail: (typeof RAILS)[number]) => {
    const ratios = target.ratios[rail];
    const met = ratios.filter(target.holds).length;
    const verdict = target.holds(median(ratios)) && met >= 2 ? 'holds' : 'misses';
    return `${spread(ratios)}: ${verdict} (median; ${met} of ${ratios.length} rounds)`;
  };
  return [target.figure, target.bound, cell('rr'), cell('hono')];
}

async function run(redis: Redis): Promise<string> {
  const rows: string[][] = [];
  const started = Date.now();
  const elapsed = (): number => Math.round((Date.now() - started) / 1000);
  const perTarget = <T>(): Record<Target, T[]> => ({ rr: [], hono: [], sio: [] });
  // One row: the three targets' medians, then each ReplayRail server's per-round ratios to Socket.IO.
  const figureRow = <T>(
    name: string,
    figure: string,
    results: Record<Target, T[]>,
    pick: (result: T) => number,
    format: (value: number) => string,
  ): string[] => [
    name,
    figure,
    ...TARGETS.map((target) => format(median(results[target].map(pick)))),
    ...RAILS.map((rail) => spread(results[rail].map((result, i) => pick(result) / pick(results.sio[i] as T)))),
  ];
  const ratiosOf = <T>(results: Record<Target, T[]>, pick: (result: T) => number) => ({
    rr: results.rr.map((result, i) => pick(result) / pick(results.sio[i] as T)),
    hono: results.hono.map((result, i) => pick(result) / pick(results.sio[i] as T)),
  });
  const targets: Goal[] = [];

  // Case 1, interleaved rounds.
  const fanout = perTarget<FanoutResult>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
    for (const target of order) {
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
    rows.push(
      figureRow(name, 'delivered messages/s', phase, (r) => r.rate, int),
      [name, 'deliveries (all rounds)', ...TARGETS.map((target) => deliveries(phase[target])), '', ''],
      figureRow(name, 'latency p50 (ms)', phase, (r) => r.histogram.getValueAtPercentile(50), ms),
      figureRow(name, 'latency p99 (ms)', phase, p99, ms),
      figureRow(
        name,
        'server CPU µs / delivered message',
        phase,
        (r) => r.cpuPerMessage,
        (v) => v.toFixed(2),
      ),
    );
    if (key === 'burst') {
      targets.push(
        {
          figure: 'server CPU per delivered message at saturation (burst)',
          bound: '≤ 0.20× Socket.IO',
          ratios: ratiosOf(phase, (r) => r.cpuPerMessage),
          holds: (ratio) => ratio <= 0.2,
        },
        {
          figure: 'delivered messages/s at saturation (burst)',
          bound: '≥ 1.5× Socket.IO',
          ratios: ratiosOf(phase, (r) => r.rate),
          holds: (ratio) => ratio >= 1.5,
        },
      );
    }
    if (key === 'rate100') {
      targets.push(
        {
          figure: 'latency p99 at 100 events/s',
          bound: '≤ 0.50× Socket.IO',
          ratios: ratiosOf(phase, p99),
          holds: (ratio) => ratio <= 0.5,
        },
        {
          figure: 'server CPU per delivered message at 100 events/s',
          bound: '≤ 0.75× Socket.IO',
          ratios: ratiosOf(phase, (r) => r.cpuPerMessage),
          holds: (ratio) => ratio <= 0.75,
        },
      );
    }
  }
  const each = (pick: (result: FanoutResult) => number, format: (value: number) => string) =>
    TARGETS.map((target) => format(Math.max(...fanout[target].map(pick))));
  rows.push(
    [
      `fanout ${int(SUBSCRIBERS)} subs`,
      "server process's Redis connections (most)",
      ...each((r) => r.redisConnections, String),
      '',
      '',
    ],
    [
      `fanout ${int(SUBSCRIBERS)} subs`,
      'sockets closed by the server during the run',
      ...TARGETS.map((target) => String(fanout[target].reduce((total, result) => total + result.dropped, 0))),
      '',
      '',
    ],
    [
      `fanout ${int(SUBSCRIBERS)} subs`,
      'bytes per event frame (WebSocket payload)',
      ...each((r) => r.frameBytes, int),
      '',
      '',
    ],
  );

  // Case 2, interleaved rounds.
  const idle = perTarget<Idle>();
  const bareHono: Idle[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of round % 2 === 0 ? TARGETS : [...TARGETS].reverse()) {
      console.error(`idle memory round ${round + 1}/${ROUNDS}: ${NAMES[target]} (${elapsed()} s)`);
      const result = await idleRound(target, round);
      console.error(
        `  ${NAMES[target]} idle: ${(result.rss / 1024).toFixed(1)} KiB RSS, ${(result.heap / 1024).toFixed(1)} KiB heap per socket`,
      );
      idle[target].push(result);
    }
    // The floor of the Hono stack: a bare route on the same @hono/node-server + @hono/node-ws.
    const result = await idleRound('hono', round, true);
    console.error(
      `  bare Hono route idle: ${(result.rss / 1024).toFixed(1)} KiB RSS, ${(result.heap / 1024).toFixed(1)} KiB heap per socket`,
    );
    bareHono.push(result);
  }
  const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
  const idleName = `idle ${int(IDLE_SOCKETS)} sockets`;
  rows.push(
    figureRow(idleName, 'server RSS growth per socket (KiB)', idle, (r) => r.rss, kib),
    figureRow(idleName, 'server heap growth per socket (KiB)', idle, (r) => r.heap, kib),
    [
      idleName,
      'the same on a bare Hono route upgraded by `@hono/node-ws` (no ReplayRail): RSS / heap per socket (KiB)',
      '',
      `${kib(median(bareHono.map((r) => r.rss)))} / ${kib(median(bareHono.map((r) => r.heap)))}`,
      '',
      '',
      `${spread(bareHono.map((r, i) => r.rss / (idle.sio[i]?.rss ?? Number.NaN)))} (RSS)`,
    ],
    [
      idleName,
      'sockets open on the server (min of rounds)',
      ...TARGETS.map((target) => int(Math.min(...idle[target].map((result) => result.open)))),
      '',
      '',
    ],
  );
  targets.push({
    figure: 'RSS per idle connection',
    bound: '≤ 0.50× Socket.IO',
    ratios: ratiosOf(idle, (r) => r.rss),
    holds: (ratio) => ratio <= 0.5,
  });

  // Case 3: the retained case interleaved over the rounds, the expired case once.
  for (const expired of [false, true]) {
    const results = perTarget<Reconnect>();
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
      const time = (result: Recovery) => result.ms ?? Number.NaN;
      rows.push(figureRow(name, `time until all ${int(MISSED)} arrived (ms)`, results, time, int));
      const loop = (result: Reconnect, kind: 'plain' | 'decoded') => result.xrange?.[kind] ?? Number.NaN;
      const floor = (rail: (typeof RAILS)[number], kind: 'plain' | 'decoded' = 'plain') =>
        results[rail].map((result) => time(result) / loop(result, kind));
      for (const [kind, what] of [
        ['plain', 'no decoding'],
        ['decoded', "each entry's JSON fields parsed"],
      ] as const) {
        rows.push([
          name,
          `plain XRANGE loop over the same ${int(MISSED)}, pages of 1,000, ${what} (ms); catch-up ÷ it`,
          ...RAILS.map((rail) => int(median(results[rail].map((result) => loop(result, kind))))),
          '',
          ...RAILS.map((rail) => spread(floor(rail, kind))),
        ]);
      }
      targets.push(
        {
          figure: `catch-up of ${int(MISSED)} missed events`,
          bound: '≤ 0.75× Socket.IO',
          ratios: ratiosOf(results, time),
          holds: (ratio) => ratio <= 0.75,
        },
        {
          figure: `catch-up of ${int(MISSED)} missed events`,
          bound: '≤ 1.10× a plain XRANGE loop',
          ratios: { rr: floor('rr'), hono: floor('hono') },
          holds: (ratio) => ratio <= 1.1,
        },
      );
    }
    rows.push([name, 'what the subscriber got', ...TARGETS.map(got), '', '']);
  }

  const server = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const commit = gitCommit();
  return [
    '# Fanout benchmark: ReplayRail (server-ws, Hono adapter) vs Socket.IO',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${server} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${commit} · ${elapsed()} s`,
    '',
    'server-ws: `ReplayRailWebSocketServer` on `RedisStreamStore` (ioredis). Hono adapter:',
    '`createReplayRailRoutes` on `@hono/node-server` + `@hono/node-ws`, the same store. Their subscribers are `ws`',
    'clients of `/ws/<channel>`; their publisher calls `rail.publish`. Socket.IO 4: `connectionStateRecovery` and',
    '`@socket.io/redis-streams-adapter` (ioredis), WebSocket transport only; subscribers are socket.io-client',
    'sockets in one room; the publisher is a Socket.IO server instance on the same adapter calling `io.to(room).emit`.',
    'Publisher, server and subscribers are separate processes on 127.0.0.1; the payload is the same',
    `${JSON.stringify(samplePayload('rate100', 0)).length} bytes of JSON with its send time (the frame around it differs: see the table).`,
    `Fanout: ${int(SUBSCRIBERS)} subscribers over ${SUBSCRIBER_PROCESSES} processes, after a ${WARMUP.count}-event warm-up;`,
    `${ROUNDS} rounds per target of every case but the expired one, interleaved (the order rotating each round).`,
    'Messages/s is deliveries divided by the time from the first send to the last delivery;',
    "latency is receipt minus send time, from one round's HDR histograms merged over its subscriber processes;",
    "CPU is the server process's user + system time over the phase divided by deliveries. Figures are medians",
    "of the rounds; each ReplayRail server's ratio to Socket.IO is given per round as min / median / max.",
    "Redis connections: lines of CLIENT LIST carrying the server process's client name, with the subscribers",
    "connected. Idle memory: the server's RSS and heap",
    `after \`gc()\` with ${int(IDLE_SOCKETS)} more idle subscribed sockets minus before (after 20 warm-up sockets),`,
    `per socket. Reconnect: one subscriber gets one event, drops its connection, ${int(MISSED)} events are`,
    'published, it reconnects with its cursor (ReplayRail `?last_event_id=`, Socket.IO its session and offset);',
    'the time runs from the reconnect call to the last missed event; the plain XRANGE loop reads the same entries',
    'afterwards in the subscriber process. In the expired case the streams keep',
    `${int(SMALL_MAXLEN)} events (ReplayRail \`maxStreamLength: ${SMALL_MAXLEN}\`, \`approximateTrimming: false\`;`,
    `the adapter's \`maxLen: ${SMALL_MAXLEN}\`, always \`MAXLEN ~\`). 2 cores shared by Redis and every process;`,
    'no case was scaled down, and the deliveries rows show whether every subscriber got every event.',
    '',
    '## Targets',
    '',
    'A target holds when it holds in the median of the rounds and in at least 2 of 3.',
    '',
    ...table(
      ['figure', 'target', 'server-ws (min / median / max)', 'Hono adapter (min / median / max)'],
      targets.map(goalRow),
    ),
    '',
    '## Every figure',
    '',
    ...table(
      ['case', 'figure', 'server-ws', 'Hono adapter', 'Socket.IO', 'server-ws ÷ Socket.IO', 'Hono ÷ Socket.IO'],
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
    await writeResults('fanout.md', report);
  },
});
