/**
 * @module
 * Calls between services: calls per second and round-trip p50 / p99 of
 * `@replayrail/rpc` against the request/reply loop one writes with ioredis alone
 * (`XADD` the command, `XREAD` the commands on the server, `XADD` the reply, `XREAD`
 * the replies on the client; see server.ts and client.ts), sequentially and with 64
 * calls in flight.
 *
 * Each contender has a server process and a client process (so each side's CPU
 * time is its own). Rounds interleave the contenders, their order rotating; one
 * warm-up round first is not counted. Keys live under `rrrpc-<time>` and are deleted
 * at the end. Writes bench/results/rpc.md. Run: `pnpm bench:rpc`.
 */

import os from 'node:os';
import { Redis } from 'ioredis';
import { deleteKeys, gitCommit, median, spread, table, writeResults } from '../common.js';
import { Child, children } from '../ipc.js';
import type { Contender, RunArgs, RunResult } from './shared.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `rrrpc-${Date.now()}`;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CONTENDERS: readonly Contender[] = ['rail', 'raw'];
const LABELS: Record<Contender, string> = {
  rail: '`@replayrail/rpc`',
  raw: 'raw ioredis `XADD` + `XREAD` loop',
};

interface Scenario {
  readonly name: string;
  readonly inFlight: number;
  readonly count: number;
}
const SCENARIOS: readonly Scenario[] = [
  { name: 'sequential calls', inFlight: 1, count: 2_000 },
  { name: '64 calls in flight', inFlight: 64, count: 20_000 },
];

/** One run of a contender, with its server's CPU time. */
interface Run extends RunResult {
  serverCpuUs: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const rateOf = (run: Run): number => run.latencies.length / (run.ms / 1000);
const p50 = (run: Run): number => percentile(run.latencies, 50);
const p99 = (run: Run): number => percentile(run.latencies, 99);
const cpuPerCall = (run: Run): number => (run.cpuUs + run.serverCpuUs) / run.latencies.length;
const figures = (values: number[], digits: number): string =>
  [Math.min(...values), median(values), Math.max(...values)]
    .map((v) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
    .join(' / ');

type Results = Map<string, Run[]>;
const keyOf = (scenario: Scenario, contender: Contender) => `${scenario.name}:${contender}`;

interface Pair {
  readonly server: Child;
  readonly client: Child;
}

async function round(pairs: Map<Contender, Pair>, index: number, results: Results | null): Promise<void> {
  for (const scenario of SCENARIOS) {
    const order = CONTENDERS.map((_, i) => CONTENDERS[(i + index) % CONTENDERS.length] as Contender);
    for (const contender of order) {
      const { server, client } = pairs.get(contender) as Pair;
      const args: RunArgs = {
        count: results === null ? scenario.count / 5 : scenario.count,
        inFlight: scenario.inFlight,
      };
      await server.request('cpu');
      const result = await client.request<RunResult>('run', args, 300_000);
      const run: Run = { ...result, serverCpuUs: await server.request<number>('cpu') };
      console.error(
        `${results === null ? 'warm-up' : `round ${index + 1}`}, ${scenario.name}, ${contender}: ${Math.round(rateOf(run))} calls/s, p50 ${p50(run).toFixed(2)} ms, p99 ${p99(run).toFixed(2)} ms`,
      );
      if (results !== null)
        results.set(keyOf(scenario, contender), [...(results.get(keyOf(scenario, contender)) ?? []), run]);
    }
  }
}

function report(results: Results, version: string): string {
  const lines = [
    '# Calls between services: @replayrail/rpc and a raw XADD + XREAD loop',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${version} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${gitCommit()}`,
    '',
    'One server process and one client process per contender; the client makes calls of `bench.add`',
    '(two numbers in, their sum out) sequentially, or keeping 64 in flight, and times each round trip.',
    "CPU is both processes' own (user + system) per call. Rounds interleave the contenders, their order",
    `rotating; ${ROUNDS} rounds after one warm-up. Figures: min / median / max over the rounds; a ratio is`,
    "taken within each round (rail's figure over the raw loop's of the same round), then min / median / max.",
    '',
    '- `@replayrail/rpc`: `RpcClient` (typed proxy: params and result checked, a deadline on each call) and',
    '  `RpcServer` (`concurrency: 64`) on the Redis store over ioredis: a consumer group, acknowledgements,',
    '  claims kept, retries and dead letters, replies only to live reply streams.',
    '- raw: the server `XREAD`s the command stream (`COUNT 100`) and `XADD`s each reply (`MAXLEN ~ 1024`);',
    '  the client `XADD`s each command and one `XREAD` loop matches replies by id. Nothing else.',
    '',
  ];
  const targets: string[] = [];
  for (const scenario of SCENARIOS) {
    lines.push(`## ${scenario.name} (${scenario.count.toLocaleString('en-US')} calls)`, '');
    lines.push(
      ...table(
        ['caller and server', 'calls/s', 'p50 ms', 'p99 ms', 'CPU µs per call'],
        CONTENDERS.map((contender) => {
          const runs = results.get(keyOf(scenario, contender)) ?? [];
          return [
            LABELS[contender],
            figures(runs.map(rateOf), 0),
            figures(runs.map(p50), 2),
            figures(runs.map(p99), 2),
            figures(runs.map(cpuPerCall), 1),
          ];
        }),
      ),
    );
    const rail = results.get(keyOf(scenario, 'rail')) ?? [];
    const raw = results.get(keyOf(scenario, 'raw')) ?? [];
    const ratio = (of: (run: Run) => number) => rail.map((run, i) => of(run) / of(raw[i] as Run));
    lines.push(
      '',
      ...table(
        ['ratio', 'calls/s', 'p50', 'p99', 'CPU per call'],
        [['rail ÷ raw', ...[rateOf, p50, p99, cpuPerCall].map((of) => `${spread(ratio(of))}×`)]],
      ),
      '',
    );
    const rate = median(ratio(rateOf));
    const tail = median(ratio(p99));
    targets.push(
      `- ${scenario.name}: calls/s ${rate.toFixed(2)}× the raw loop's (target ≥ 0.8×: ${rate >= 0.8 ? 'holds' : 'misses'}); p99 ${tail.toFixed(2)}× (target ≤ 1.5×: ${tail <= 1.5 ? 'holds' : 'misses'})`,
    );
  }
  lines.push('## Targets (median of the per-round ratios)', '', ...targets, '');
  return lines.join('\n');
}

const admin = new Redis(REDIS_URL);
const pairs = new Map<Contender, Pair>();
try {
  for (const contender of CONTENDERS) {
    const server = new Child(`${contender} server`, new URL('./server.js', import.meta.url));
    const client = new Child(`${contender} client`, new URL('./client.js', import.meta.url));
    await server.request('setup', { redisUrl: REDIS_URL, prefix: PREFIX, contender });
    await client.request('setup', { redisUrl: REDIS_URL, prefix: PREFIX, contender });
    pairs.set(contender, { server, client });
  }
  await round(pairs, 0, null);
  const results: Results = new Map();
  for (let index = 0; index < ROUNDS; index++) await round(pairs, index, results);
  const version = (await admin.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const text = report(results, version);
  console.log(text);
  await writeResults('rpc.md', text);
} finally {
  for (const { server, client } of pairs.values()) {
    await client.request('stop').catch(() => {});
    await server.request('stop').catch(() => {});
  }
  for (const child of [...children]) await child.end();
  const deleted = await deleteKeys(admin, PREFIX);
  console.error(`deleted ${deleted} keys under ${PREFIX}:* on ${REDIS_URL}`);
  admin.disconnect();
}
