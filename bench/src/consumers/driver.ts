/**
 * @module
 * Durable consumers: how fast a backlog of events is processed, and the consumer's
 * CPU time per event, for `rail.consume`, a raw ioredis `XREADGROUP COUNT 100` +
 * `XACK` loop, and a BullMQ `Worker` (see worker.ts for each). Jobs: a no-op
 * handler and a 1 ms async one, at concurrency 1 and 16.
 *
 * Each contender runs in its own worker process (so its CPU time is its own), one
 * at a time. Before each run this process fills a fresh channel (or queue) with the
 * run's events; the run starts the consumer and ends when the last event was
 * handled. Rounds interleave the contenders, their order rotating; one warm-up round
 * first is not counted. Keys live under `rrconsumers-<time>` and are deleted at the
 * end. Writes bench/results/consumers.md. Run: `pnpm bench:consumers`.
 */

import os from 'node:os';
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteKeys, gitCommit, median, sampleOrder, writeResults } from '../common.js';
import { Child, children } from '../ipc.js';
import type { Contender, Job, RunArgs, RunResult } from './shared.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `rrconsumers-${Date.now()}`;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CONTENDERS: readonly Contender[] = ['rail', 'raw', 'bullmq'];
const LABELS: Record<Contender, string> = {
  rail: '`rail.consume`',
  raw: 'raw ioredis `XREADGROUP COUNT 100` + `XACK`',
  bullmq: 'BullMQ `Worker`',
};

interface Scenario {
  job: Job;
  concurrency: number;
  count: number;
}
const ALL_SCENARIOS: readonly Scenario[] = [
  { job: 'noop', concurrency: 1, count: 10_000 },
  { job: 'noop', concurrency: 16, count: 10_000 },
  { job: 'sleep1', concurrency: 1, count: 1_000 },
  { job: 'sleep1', concurrency: 16, count: 5_000 },
];
// `ONLY=noop:1,sleep1:1` runs those scenarios alone (while profiling one).
const ONLY = process.env.ONLY?.split(',');
const SCENARIOS = ALL_SCENARIOS.filter((s) => ONLY === undefined || ONLY.includes(`${s.job}:${s.concurrency}`));
const scenarioName = (s: Scenario): string =>
  `${s.job === 'noop' ? 'no-op handler' : '1 ms async handler'}, concurrency ${s.concurrency}`;

const url = new URL(REDIS_URL);
const connection = { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null };
const admin = new Redis(REDIS_URL);
const publisher = new ReplayRail({ store: new RedisStreamStore({ client: admin }), config: { streamPrefix: PREFIX } });
let sources = 0;

const event = (n: number) => ({
  type: 'order.confirmed',
  payload: sampleOrder(n),
  actor: { id: 'usr_42', type: 'user' },
  metadata: { source: 'bench' },
});

// A fresh channel (or queue) holding `count` events for the contender.
async function fill(contender: Contender, count: number): Promise<string> {
  const source = `src-${sources++}`;
  if (contender === 'bullmq') {
    const queue = new Queue(source, { connection, prefix: `${PREFIX}:bull` });
    for (let n = 0; n < count; n += 1_000) {
      const jobs = Array.from({ length: Math.min(1_000, count - n) }, (_, i) => ({
        name: 'order.confirmed',
        data: event(n + i),
        opts: { removeOnComplete: true, removeOnFail: true },
      }));
      await queue.addBulk(jobs);
    }
    await queue.close();
    return source;
  }
  for (let n = 0; n < count; n += 500) {
    const batch = Array.from({ length: Math.min(500, count - n) }, (_, i) =>
      publisher.publish({ channel: source, ...event(n + i) }),
    );
    await Promise.all(batch);
  }
  return source;
}

// Nothing may be left pending: every event was acknowledged.
async function assertDone(contender: Contender, source: string): Promise<void> {
  if (contender === 'bullmq') {
    const queue = new Queue(source, { connection, prefix: `${PREFIX}:bull` });
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'failed');
    await queue.close();
    if (Object.values(counts).some((n) => n > 0)) throw new Error(`${source}: ${JSON.stringify(counts)}`);
    return;
  }
  const info = await publisher.group(source, 'bench').info();
  if (info === null || info.pending > 0 || info.lag !== 0) throw new Error(`${source}: ${JSON.stringify(info)}`);
}

type Results = Map<string, RunResult[]>;
const keyOf = (s: Scenario, c: Contender) => `${s.job}:${s.concurrency}:${c}`;

async function round(workers: Map<Contender, Child>, index: number, results: Results | null): Promise<void> {
  for (const scenario of SCENARIOS) {
    const order = CONTENDERS.map((_, i) => CONTENDERS[(i + index) % CONTENDERS.length] as Contender);
    for (const contender of order) {
      const count = results === null ? Math.ceil(scenario.count / 5) : scenario.count;
      const source = await fill(contender, count);
      const args: RunArgs = {
        contender,
        source,
        group: 'bench',
        count,
        concurrency: scenario.concurrency,
        job: scenario.job,
      };
      const result = await (workers.get(contender) as Child).request<RunResult>('run', args, 300_000);
      await assertDone(contender, source);
      const rate = (result.handled / result.ms) * 1000;
      console.error(
        `${results === null ? 'warm-up' : `round ${index + 1}`}, ${scenarioName(scenario)}, ${contender}: ${Math.round(rate)}/s, ${(result.cpuUs / result.handled).toFixed(1)} µs CPU/event`,
      );
      if (results !== null)
        results.set(keyOf(scenario, contender), [...(results.get(keyOf(scenario, contender)) ?? []), result]);
    }
  }
}

const rateOf = (r: RunResult): number => (r.handled / r.ms) * 1000;
const cpuOf = (r: RunResult): number => r.cpuUs / r.handled;
const spread = (values: number[], digits = 0): string =>
  [Math.min(...values), median(values), Math.max(...values)]
    .map((v) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
    .join(' / ');

function report(results: Results, version: string): string {
  const lines = [
    '# Durable consumers: rail.consume, a raw XREADGROUP loop, BullMQ',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${version} on ${url.host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${gitCommit()}`,
    '',
    'A backlog of events (about 200-byte orders) processed by one consumer process; events/s is the backlog',
    "over the time from starting the consumer to its last handler's end, CPU is the consumer process's own",
    '(user + system) per event. Each contender runs alone in its own process; rounds interleave them, their',
    `order rotating; ${ROUNDS} rounds after one warm-up. Figures: min / median / max over the rounds; a ratio is`,
    "taken within each round (rail's figure over the peer's of the same round), then min / median / max.",
    `Load average (1 min) when the run started and ended: ${loadAtStart} and ${os.loadavg()[0]?.toFixed(2)} on ${os.cpus().length} cores`,
    '(other work shares this machine; figures move with it, the ratios within a round less).',
    '',
    "- `rail.consume`: the Redis store on ioredis, defaults but `concurrency` and `from: 'earliest'` (so",
    '  acknowledgements wait up to `ackWindowMs` 50 or for `ackBatchSize` 100 of them); at-least-once with',
    '  retries, dead letters, claims kept while handlers run, recovery.',
    '- raw: `XREADGROUP COUNT 100`, decode each entry, handlers at most `concurrency` at once, one `XACK` per batch.',
    '  Nothing else: no retries, no dead letters, no claims.',
    '- BullMQ: a `Worker` on a queue holding the same events as jobs (`removeOnComplete`).',
    '',
  ];
  for (const scenario of SCENARIOS) {
    lines.push(
      `## ${scenarioName(scenario)} (${scenario.count.toLocaleString('en-US')} events)`,
      '',
      '| consumer | events/s (min / median / max) | CPU µs per event (min / median / max) |',
      '| -------- | ----------------------------: | ------------------------------------: |',
    );
    for (const contender of CONTENDERS) {
      const runs = results.get(keyOf(scenario, contender)) ?? [];
      lines.push(`| ${LABELS[contender]} | ${spread(runs.map(rateOf))} | ${spread(runs.map(cpuOf), 1)} |`);
    }
    const rail = results.get(keyOf(scenario, 'rail')) ?? [];
    lines.push(
      '',
      '| ratio | events/s (min / median / max) | CPU per event (min / median / max) |',
      '| ----- | ---: | ---: |',
    );
    for (const peer of ['raw', 'bullmq'] as const) {
      const runs = results.get(keyOf(scenario, peer)) ?? [];
      const rates = rail.map((r, i) => rateOf(r) / rateOf(runs[i] as RunResult));
      const cpus = rail.map((r, i) => cpuOf(r) / cpuOf(runs[i] as RunResult));
      lines.push(`| rail ÷ ${peer} | ${spread(rates, 2)}× | ${spread(cpus, 2)}× |`);
    }
    if (scenario.job === 'sleep1') {
      // No consumer can beat `concurrency` jobs per job time: the shortest any of them saw.
      const jobMs = Math.min(
        ...CONTENDERS.map((c) => median((results.get(keyOf(scenario, c)) ?? []).map((r) => r.jobMs))),
      );
      const ceiling = (scenario.concurrency * 1000) / jobMs;
      const bull = median((results.get(keyOf(scenario, 'bullmq')) ?? []).map(rateOf));
      lines.push(
        '',
        `A 1 ms sleep took ${jobMs.toFixed(2)} ms here (the lowest contender's median), so no consumer can pass ${Math.round(ceiling).toLocaleString('en-US')} events/s at concurrency ${scenario.concurrency}: ${(ceiling / bull).toFixed(2)}× BullMQ's median.`,
      );
    }
    lines.push('');
  }
  const at16 = SCENARIOS.filter((s) => s.concurrency === 16);
  const ratio = (scenario: Scenario, peer: Contender): number => {
    const rail = results.get(keyOf(scenario, 'rail')) ?? [];
    const runs = results.get(keyOf(scenario, peer)) ?? [];
    return median(rail.map((r, i) => rateOf(r) / rateOf(runs[i] as RunResult)));
  };
  lines.push('## Targets (median of the per-round ratios)', '');
  for (const scenario of SCENARIOS) {
    const raw = ratio(scenario, 'raw');
    lines.push(
      `- ${scenarioName(scenario)}: rail ÷ raw loop ${raw.toFixed(2)}× (target ≥ 0.9×: ${raw >= 0.9 ? 'holds' : 'misses'})`,
    );
  }
  for (const scenario of at16) {
    const bull = ratio(scenario, 'bullmq');
    lines.push(
      `- ${scenarioName(scenario)}: rail ÷ BullMQ ${bull.toFixed(2)}× (target ≥ 3×: ${bull >= 3 ? 'holds' : 'misses'})`,
    );
  }
  // The acknowledgement batching's own targets: a 1 ms handler no longer pays a
  // round trip per event, and a no-op one keeps pace with the raw loop.
  const cpuRatio = (scenario: Scenario): number => {
    const rail = results.get(keyOf(scenario, 'rail')) ?? [];
    const runs = results.get(keyOf(scenario, 'raw')) ?? [];
    return median(rail.map((r, i) => cpuOf(r) / cpuOf(runs[i] as RunResult)));
  };
  const sleep1 = SCENARIOS.find((s) => s.job === 'sleep1' && s.concurrency === 1);
  const noop1 = SCENARIOS.find((s) => s.job === 'noop' && s.concurrency === 1);
  if (sleep1 !== undefined) {
    const cpu = cpuRatio(sleep1);
    lines.push(
      `- ${scenarioName(sleep1)}: rail ÷ raw loop CPU per event ${cpu.toFixed(2)}× (target ≤ 1.5×: ${cpu <= 1.5 ? 'holds' : 'misses'})`,
    );
  }
  if (noop1 !== undefined) {
    const rate = ratio(noop1, 'raw');
    lines.push(
      `- ${scenarioName(noop1)}: rail ÷ raw loop events/s ${rate.toFixed(2)}× (target ≥ 0.8×: ${rate >= 0.8 ? 'holds' : 'misses'})`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

const loadAtStart = os.loadavg()[0]?.toFixed(2);
const workers = new Map<Contender, Child>();
try {
  for (const contender of CONTENDERS) {
    const child = new Child(contender, new URL('./worker.js', import.meta.url));
    await child.request('setup', { redisUrl: REDIS_URL, prefix: PREFIX });
    workers.set(contender, child);
  }
  await round(workers, 0, null);
  const results: Results = new Map();
  for (let index = 0; index < ROUNDS; index++) await round(workers, index, results);
  const version = (await admin.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const text = report(results, version);
  console.log(text);
  if (ONLY === undefined) await writeResults('consumers.md', text);
} finally {
  for (const child of workers.values()) await child.request('stop').catch(() => {});
  for (const child of workers.values()) await child.end();
  for (const child of children) child.kill();
  const deleted = await deleteKeys(admin, PREFIX);
  console.error(`deleted ${deleted} keys under ${PREFIX}:* on ${REDIS_URL}`);
  await publisher.close();
  admin.disconnect();
}
