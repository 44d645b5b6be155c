/**
 * @module
 * What OpenTelemetry costs: the publish and fanout benchmarks run with ReplayRail's
 * telemetry off (no `telemetry` option) and on (`openTelemetry()` on the SDK with
 * exporters that discard, see otel-sdk.ts), against REDIS_URL (default
 * 127.0.0.1:6379). Target (issue #16): at most 10% overhead on `rail.publish` and on
 * the server's CPU per delivered message.
 *
 * - Publish: `rail.publish` of the sample order event on the Redis store (ioredis),
 *   a fixed number of publishes with 1 and 64 in flight, in this process. Each round
 *   builds its own rail; an "on" round also starts the SDK before its clock starts
 *   and flushes it (the last spans and a metric collection) before its clock stops.
 *   After a warm-up of each mode, pairs of rounds run in alternating order (off, on,
 *   on, off, …) and each pair gives an on ÷ off ratio of events/s and of this
 *   process's CPU µs per publish. A third mode in the same groups, metrics only (the
 *   SDK without its tracer provider), tells the spans' share from the rest.
 * - Fanout: the fanout benchmark's server-ws stack (fanout/stack.ts: a server
 *   process, a publisher process, 500 subscribers over 2 processes) with the server's
 *   and publisher's rails off or on; per round a 100-event warm-up, 100 events/s for
 *   10 s, then a burst of 1,000. Pairs of rounds as above, at least 3, more while the
 *   run stays within its time budget; each gives the on ÷ off ratio of the server's
 *   CPU µs per delivered message.
 *
 * `SMOKE=1` runs every part at a tiny size and writes no results file. Every key
 * lives under a unique `rrtelemetry-<time>` prefix and is deleted at the end, also on
 * error, Ctrl-C or the time limit; every child is killed. Results go to stdout and
 * bench/results/telemetry.md. Run: `pnpm bench:telemetry` after `pnpm build`.
 */

import os from 'node:os';
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { gitCommit, int, measure, median, sampleEvent, spread, table, writeResults } from './common.js';
import { type Exported, REDIS_URL, type StackOptions, samplePayload } from './fanout/shared.js';
import { connectSubscribers, type PhaseResult, runPhase, runToTheEnd, startStack, stopStack } from './fanout/stack.js';
import { METRIC_INTERVAL_MS, startOtelSdk } from './otel-sdk.js';

const SMOKE = process.env.SMOKE === '1';
const PREFIX = `rrtelemetry-${Date.now()}`;
const MAX_LEN = 10_000;
const PUBLISH_CASES = SMOKE
  ? [
      { concurrency: 1, ops: 500 },
      { concurrency: 64, ops: 2_000 },
    ]
  : [
      { concurrency: 1, ops: 15_000 },
      { concurrency: 64, ops: 150_000 },
    ];
const PUBLISH_PAIRS = SMOKE ? 2 : 7;
const SUBSCRIBERS = SMOKE ? 20 : 500;
const SUBSCRIBER_PROCESSES = 2;
const WARMUP = { rate: 50, count: SMOKE ? 20 : 100 };
const PHASES = [
  { key: 'rate100', label: '100 events/s, 10 s', rate: 100, count: SMOKE ? 100 : 1_000 },
  { key: 'burst', label: 'burst of 1,000 events', rate: 0, count: SMOKE ? 100 : 1_000 },
] as const;
const FANOUT_PAIRS = { min: SMOKE ? 1 : 3, max: SMOKE ? 1 : 12 };
/** No fanout pair starts unless the one before, repeated, would end within this much time of the run. */
const BUDGET_S = 660;
const TIME_LIMIT_MS = 900_000;
const BOUND = 0.1;

type Mode = 'off' | 'on';
/** Pair `i`'s order: off first in even pairs, on first in odd ones. */
const order = (pair: number): readonly Mode[] => (pair % 2 === 0 ? ['off', 'on'] : ['on', 'off']);
/** Publish also runs `metrics`: the SDK without its tracer provider, to tell the cost of spans from the rest. */
type PublishMode = Mode | 'metrics';
const publishOrder = (pair: number): readonly PublishMode[] =>
  pair % 2 === 0 ? ['off', 'on', 'metrics'] : ['metrics', 'on', 'off'];

const stop = new AbortController();
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const ms = (micros: number): string => (micros / 1000).toFixed(micros < 10_000 ? 2 : 1);
const percent = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(1)}%`;
const values = (runs: readonly number[], format: (value: number) => string): string =>
  `${format(Math.min(...runs))} / ${format(median(runs))} / ${format(Math.max(...runs))}`;

// --- Publish.

interface PublishRun {
  rate: number;
  cpu: number;
  /** Spans the exporter got, per publish (on rounds). */
  spans: number;
}

/** One round of `ops` publishes on a new rail, with the SDK started for it unless `mode` is off. */
async function publishRound(client: Redis, mode: PublishMode, concurrency: number, ops: number): Promise<PublishRun> {
  gc?.();
  const sdk = mode === 'off' ? undefined : startOtelSdk({ tracing: mode === 'on' });
  const rail = new ReplayRail({
    store: new RedisStreamStore({ client }),
    config: { streamPrefix: PREFIX, maxStreamLength: MAX_LEN },
    ...(sdk === undefined ? {} : { telemetry: sdk.telemetry }),
  });
  try {
    const channel = `publish-c${concurrency}`;
    // What a publish stores: with telemetry, the producer span's trace context in the metadata.
    const sample = await rail.publish(sampleEvent(channel, 0));
    if ((sample.metadata.trace_context !== undefined) !== (mode === 'on')) {
      throw new Error(`telemetry ${mode}, but metadata ${JSON.stringify(sample.metadata)}`);
    }
    const spansBefore = sdk?.spans() ?? 0;
    const result = await measure(
      concurrency,
      ops,
      (n) => rail.publish(sampleEvent(channel, n)),
      stop.signal,
      async () => sdk?.flush(),
    );
    return { ...result, spans: ((sdk?.spans() ?? 0) - spansBefore) / ops };
  } finally {
    await rail.close();
    await sdk?.shutdown();
  }
}

interface PublishCase {
  concurrency: number;
  ops: number;
  off: PublishRun[];
  on: PublishRun[];
  metrics: PublishRun[];
}

async function publishCases(client: Redis, elapsed: () => number): Promise<PublishCase[]> {
  const cases: PublishCase[] = [];
  for (const { concurrency, ops } of PUBLISH_CASES) {
    for (const mode of publishOrder(0)) await publishRound(client, mode, concurrency, Math.min(ops, 5_000));
    const runs: PublishCase = { concurrency, ops, off: [], on: [], metrics: [] };
    for (let pair = 0; pair < PUBLISH_PAIRS; pair++) {
      for (const mode of publishOrder(pair)) runs[mode].push(await publishRound(client, mode, concurrency, ops));
      const line = publishOrder(0).map((mode) => {
        const run = runs[mode][pair] as PublishRun;
        return `${mode} ${int(run.rate)}/s ${run.cpu.toFixed(1)} µs`;
      });
      console.error(`publish c=${concurrency} pair ${pair + 1}/${PUBLISH_PAIRS} (${elapsed()} s): ${line.join(', ')}`);
    }
    cases.push(runs);
  }
  return cases;
}

// --- Fanout.

interface FanoutRun {
  phases: Record<string, PhaseResult>;
  /** Deliveries the subscribers saw over the stack's life, warm-up included. */
  delivered: number;
  /** Events published over the stack's life. */
  published: number;
  frameBytes: number;
  dropped: number;
  /** What the server's and publisher's telemetry exported (on rounds). */
  exported: Exported | null;
}

async function fanoutRound(mode: Mode, pair: number): Promise<FanoutRun> {
  const options: StackOptions = {
    target: 'rr',
    prefix: PREFIX,
    name: `fanout-${mode}-${pair}`,
    maxLen: 10_000,
    exactTrim: false,
    telemetry: mode === 'on',
  };
  const stack = await startStack(options, SUBSCRIBER_PROCESSES, true);
  try {
    await connectSubscribers(stack, SUBSCRIBERS, 60_000);
    const warmup = await runPhase(stack, 'warmup', WARMUP.rate, WARMUP.count, SUBSCRIBERS);
    const phases: Record<string, PhaseResult> = {};
    for (const { key, rate, count } of PHASES) {
      const result = await runPhase(stack, key, rate, count, SUBSCRIBERS);
      phases[key] = result;
      console.error(
        `  ${mode} ${key}: ${result.delivered}/${result.expected} delivered, ${int(result.rate)}/s, p99 ${ms(result.histogram.getValueAtPercentile(99))} ms, ${result.cpuPerMessage.toFixed(2)} µs CPU/msg`,
      );
    }
    const parts = await Promise.all(
      stack.subscribers.map((child) => child.request<{ dropped: number; frameBytes: number }>('collect')),
    );
    let exported: Exported | null = null;
    if (mode === 'on') {
      const server = await stack.server.request<Omit<Exported, 'spans'>>('exported');
      const publisher = await stack.publisher?.request<Pick<Exported, 'spans'>>('exported');
      exported = { ...server, spans: publisher?.spans ?? 0 };
    }
    const all = [warmup, ...Object.values(phases)];
    return {
      phases,
      delivered: all.reduce((sum, phase) => sum + phase.delivered, 0),
      published: WARMUP.count + PHASES.reduce((sum, phase) => sum + phase.count, 0),
      frameBytes: Math.max(...parts.map((part) => part.frameBytes)),
      dropped: parts.reduce((sum, part) => sum + part.dropped, 0),
      exported,
    };
  } finally {
    await stopStack(stack);
  }
}

async function fanoutPairs(elapsed: () => number): Promise<Record<Mode, FanoutRun[]>> {
  const runs: Record<Mode, FanoutRun[]> = { off: [], on: [] };
  for (let pair = 0; pair < FANOUT_PAIRS.max; pair++) {
    const started = elapsed();
    for (const mode of order(pair)) {
      console.error(`fanout pair ${pair + 1}, telemetry ${mode} (${elapsed()} s)`);
      runs[mode].push(await fanoutRound(mode, pair));
    }
    const took = elapsed() - started;
    if (pair + 1 >= FANOUT_PAIRS.min && elapsed() + took > BUDGET_S) break;
  }
  return runs;
}

// --- Report.

interface Goal {
  figure: string;
  /** Per-pair on ÷ off ratios. */
  ratios: number[];
  /** CPU: at most 1 + BOUND; throughput: at least 1 − BOUND. */
  kind: 'cpu' | 'throughput';
}

function goalRow({ figure, ratios, kind }: Goal): string[] {
  const holds = (ratio: number) => (kind === 'cpu' ? ratio <= 1 + BOUND : ratio >= 1 - BOUND);
  const middle = median(ratios);
  const overhead = kind === 'cpu' ? middle - 1 : 1 - middle;
  const bound = kind === 'cpu' ? `≤ ${(1 + BOUND).toFixed(2)}×` : `≥ ${(1 - BOUND).toFixed(2)}×`;
  const met = ratios.filter(holds).length;
  return [
    figure,
    bound,
    spread(ratios),
    percent(overhead),
    `${holds(middle) ? 'holds' : 'misses'} (${met} of ${ratios.length} pairs within)`,
  ];
}

function report(
  publish: PublishCase[],
  fanout: Record<Mode, FanoutRun[]>,
  header: { redis: string; seconds: number },
): string {
  const goals: Goal[] = [];
  const rows: string[][] = [];
  const ratios = <T>(off: T[], on: T[], pick: (run: T) => number) => on.map((run, i) => pick(run) / pick(off[i] as T));

  for (const { concurrency, ops, off, on, metrics } of publish) {
    const name = `publish, ${concurrency} in flight (${int(ops)} × ${off.length} pairs)`;
    const rate = (run: PublishRun) => run.rate;
    const cpu = (run: PublishRun) => run.cpu;
    goals.push(
      {
        figure: `\`rail.publish\` events/s, ${concurrency} in flight`,
        ratios: ratios(off, on, rate),
        kind: 'throughput',
      },
      {
        figure: `\`rail.publish\` CPU µs per publish, ${concurrency} in flight`,
        ratios: ratios(off, on, cpu),
        kind: 'cpu',
      },
    );
    const figure = (
      what: string,
      runs: PublishRun[],
      pick: (run: PublishRun) => number,
      format: (v: number) => string,
    ) => [name, what, values(off.map(pick), format), values(runs.map(pick), format), spread(ratios(off, runs, pick))];
    const oneDecimal = (value: number) => value.toFixed(1);
    rows.push(
      figure('events/s', on, rate, int),
      figure('CPU µs per publish (this process)', on, cpu, oneDecimal),
      [name, 'spans exported per publish (min of rounds)', '', Math.min(...on.map((run) => run.spans)).toFixed(2), ''],
      figure('events/s, on = metrics only (the SDK without a tracer provider)', metrics, rate, int),
      figure('CPU µs per publish, on = metrics only', metrics, cpu, oneDecimal),
    );
  }

  const pairs = Math.min(fanout.off.length, fanout.on.length);
  for (const { key, label } of PHASES) {
    const name = `fanout ${int(SUBSCRIBERS)} subs, ${label}`;
    const phase = (mode: Mode) => fanout[mode].map((run) => run.phases[key] as PhaseResult);
    const [off, on] = [phase('off'), phase('on')];
    const cpu = ratios(off, on, (r) => r.cpuPerMessage);
    goals.push({ figure: `server CPU µs per delivered message, ${label}`, ratios: cpu, kind: 'cpu' });
    const figure = (what: string, pick: (r: PhaseResult) => number, format: (value: number) => string) => [
      name,
      what,
      values(off.map(pick), format),
      values(on.map(pick), format),
      spread(ratios(off, on, pick)),
    ];
    const deliveries = (results: PhaseResult[]) => {
      const sum = (pick: (r: PhaseResult) => number) => results.reduce((total, r) => total + pick(r), 0);
      const misordered = sum((r) => r.outOfOrder + r.stray);
      const order = misordered > 0 ? `${int(misordered)} out of order, repeated or late` : 'each once, in order';
      return `${int(sum((r) => r.delivered))} of ${int(sum((r) => r.expected))}, ${order}`;
    };
    rows.push(
      figure(
        'server CPU µs / delivered message',
        (r) => r.cpuPerMessage,
        (v) => v.toFixed(2),
      ),
      figure('delivered messages/s', (r) => r.rate, int),
      figure('latency p50 (ms)', (r) => r.histogram.getValueAtPercentile(50), ms),
      figure('latency p99 (ms)', (r) => r.histogram.getValueAtPercentile(99), ms),
      [name, 'deliveries (all rounds)', deliveries(off), deliveries(on), ''],
    );
  }
  const name = `fanout ${int(SUBSCRIBERS)} subs (${pairs} pairs)`;
  const exported = fanout.on.map((run) => run.exported);
  const sum = (pick: (run: FanoutRun) => number, runs: FanoutRun[]) =>
    runs.reduce((total, run) => total + pick(run), 0);
  rows.push(
    [
      name,
      'bytes per event frame (WebSocket payload)',
      int(Math.max(...fanout.off.map((run) => run.frameBytes))),
      int(Math.max(...fanout.on.map((run) => run.frameBytes))),
      '',
    ],
    [
      name,
      'sockets closed by the server during the run',
      int(sum((run) => run.dropped, fanout.off)),
      int(sum((run) => run.dropped, fanout.on)),
      '',
    ],
    [
      name,
      "the server's `replayrail.events.delivered` at the end, of the deliveries subscribers saw (all rounds)",
      '',
      `${int(exported.reduce((total, e) => total + (e?.delivered ?? 0), 0))} of ${int(sum((run) => run.delivered, fanout.on))} (${int(exported.reduce((total, e) => total + (e?.metricExports ?? 0), 0))} metric exports)`,
      '',
    ],
    [
      name,
      "the publisher's spans exported, of the events it published (all rounds)",
      '',
      `${int(exported.reduce((total, e) => total + (e?.spans ?? 0), 0))} of ${int(sum((run) => run.published, fanout.on))}`,
      '',
    ],
  );

  const [c1, c64] = PUBLISH_CASES;
  return [
    '# Telemetry overhead: ReplayRail with OpenTelemetry on and off',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${header.redis} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${gitCommit()} · ${header.seconds} s${SMOKE ? ' · SMOKE (tiny sizes)' : ''}`,
    '',
    'Off: a rail without `telemetry` (it calls nothing). On: `openTelemetry({ meterProvider, tracerProvider })`',
    'on the OpenTelemetry SDK as a deployment sets it up, with exporters that discard what they get: a',
    `\`MeterProvider\` with a \`PeriodicExportingMetricReader\` collecting every ${METRIC_INTERVAL_MS / 1000} s, a \`TracerProvider\``,
    'with a `BatchSpanProcessor`, the `AsyncLocalStorageContextManager` registered (bench/src/otel-sdk.ts). With',
    'it, a publish opens a producer span and stores its trace context in the metadata; the server counts',
    'deliveries per batch. Publish: `rail.publish` of an order event (about 200 bytes of JSON, an actor,',
    `metadata) on the Redis store (ioredis) in one process, ${int(c1?.ops ?? 0)} publishes with 1 in flight and`,
    `${int(c64?.ops ?? 0)} with 64; each round builds its own rail, and an on round starts the SDK before its clock`,
    'starts and flushes it (the last spans, one more metric collection) before its clock stops. CPU is the',
    "process's user + system time over the round per publish. A third publish mode, metrics only (the same SDK",
    'without its tracer provider: no-op spans, no trace context stored), runs in the same groups of rounds to',
    "tell the spans' share from the rest; it has no target. Fanout: the fanout benchmark's server-ws stack",
    `(server, publisher and ${SUBSCRIBER_PROCESSES} subscriber processes on 127.0.0.1, ${int(SUBSCRIBERS)} subscribers of one channel) with the`,
    `server's and the publisher's rails off or on; per round a ${WARMUP.count}-event warm-up, then the phases below. CPU is the`,
    "server process's user + system time over a phase divided by deliveries; messages/s is deliveries over the",
    `time from the first send to the last delivery; the payload is ${JSON.stringify(samplePayload('rate100', 0)).length} bytes of JSON with its send time.`,
    'After warm-ups, the modes run in pairs of rounds, their order alternating (off, on, on, off, …;',
    'publish: off, on, metrics, then metrics, on, off, …); each pair gives one on ÷ off ratio. Figures are',
    'min / median / max over the rounds, ratios min / median / max over the pairs. 2 cores shared by Redis and',
    'every process.',
    '',
    '## Targets',
    '',
    `Overhead ≤ ${BOUND * 100}% holds when the median of the pairs' on ÷ off ratios is within ${(1 + BOUND).toFixed(2)} for CPU and at least`,
    `${(1 - BOUND).toFixed(2)} for events/s. Overhead: CPU ratio − 1, or 1 − events/s ratio, at the median.`,
    '',
    ...table(['figure', 'target', 'on ÷ off (min / median / max)', 'overhead (median)', 'verdict'], goals.map(goalRow)),
    '',
    '## Every figure',
    '',
    ...table(
      ['case', 'figure', 'off (min / median / max)', 'on (min / median / max)', 'on ÷ off (min / median / max)'],
      rows,
    ),
    '',
  ].join('\n');
}

// --- Main: run, report, and always clean up.

// The publish rounds use this connection too, so the cleanup's commands follow theirs.
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectionName: `${PREFIX}-driver` });
redis.on('error', () => {});
await runToTheEnd({
  redis,
  prefix: PREFIX,
  timeLimitMs: TIME_LIMIT_MS,
  onStop: () => stop.abort(new Error('stopping')),
  async main() {
    console.error(`prefix ${PREFIX}${SMOKE ? ' (SMOKE: tiny sizes, no results file)' : ''}`);
    const started = Date.now();
    const elapsed = (): number => Math.round((Date.now() - started) / 1000);
    const publish = await publishCases(redis, elapsed);
    const fanout = await fanoutPairs(elapsed);
    const version = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
    const text = report(publish, fanout, { redis: version, seconds: elapsed() });
    console.log(text);
    if (!SMOKE) {
      await writeResults('telemetry.md', text);
    }
  },
});
