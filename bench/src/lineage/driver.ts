/**
 * @module
 * What the lineage index costs (issue #25, docs/lineage.md), on the Redis store
 * (ioredis) against REDIS_URL (default 127.0.0.1:6379):
 *
 * - Publish: `rail.publish` of the sample order event, one correlation per order of
 *   five events, on a rail with `lineage: { index: true }` (the append script: XADD,
 *   RPUSH on the correlation's list in the channel, LTRIM, PEXPIRE, SADD and PEXPIRE
 *   of its set of channels) against the same on a rail with `index: false` (one XADD),
 *   both `MAXLEN ~ 10000`, with 1 and 64 in flight. Target: indexed ≥ 0.85× plain
 *   events/s; at 64 in flight compared with bench:state's keyed channel (another
 *   publish that became a script), read from bench/results/state.md.
 * - Lineage read: a workflow of ten events over three channels, each caused by the
 *   one before, among 10,000 and 100,000 unrelated events in the same channels
 *   (workload.ts), read by `rail.lineage(id)` against the peer without the index: a
 *   scan of the three streams keeping the entries whose metadata names the workflow.
 *   Target: the index read's median among 100,000 ≤ 1.25× its median among 10,000.
 *
 * Targets run interleaved (publish: plain, indexed, then indexed, plain, …; reads:
 * index and scan alternating, the sizes alternating every two rounds), one warm-up
 * first; each round gives one ratio. Figures are min / median / max over the rounds.
 * `SMOKE=1` runs tiny sizes and writes no results file. Keys live under
 * `rrlineage-<time>` and are deleted at the end, also on error or Ctrl-C. Results:
 * stdout and bench/results/lineage.md. Run: `pnpm bench:lineage` from the root (it
 * builds the packages first).
 */

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import {
  deleteKeys,
  figures,
  gitCommit,
  int,
  measure,
  median,
  redisCpu,
  spread,
  table,
  writeResults,
} from '../common.js';
import { correlated, fillWorkload, SCAN_PAGE, scanLineage, WORKFLOW_EVENTS, type Workload } from './workload.js';

const SMOKE = process.env.SMOKE === '1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `rrlineage-${Date.now()}`;
const ROUNDS = Number(process.env.ROUNDS ?? (SMOKE ? 1 : 5));
const MAX_LEN = 10_000;
const PUBLISH_CASES = SMOKE
  ? [
      { concurrency: 1, ops: 300 },
      { concurrency: 64, ops: 2_000 },
    ]
  : [
      { concurrency: 1, ops: 10_000 },
      { concurrency: 64, ops: 50_000 },
    ];
/** Events per order: each order is one correlation, so the index holds many small lists. */
const EVENTS_PER_ORDER = 5;
/** The unrelated events around the workflow, in its three channels. */
const SIZES = SMOKE ? [1_000, 5_000] : [10_000, 100_000];
/** Of the unrelated events, those published through the indexed rail (the rest: raw XADDs). */
const INDEXED_UNRELATED = SMOKE ? 300 : 3_000;
/** Lineage reads per reader and round; each round's figure is their median. */
const CALLS = { index: SMOKE ? 10 : 200, scan: SMOKE ? 2 : 5 } as const;
/** The pause after each `gc()` before a timed batch, for V8's concurrent sweeping to end. */
const SETTLE_MS = 200;
const PUBLISH_TARGET = 0.85;
const FLAT_TARGET = 1.25;

const stop = new AbortController();
process.once('SIGINT', () => stop.abort(new Error('interrupted')));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
/** Two decimals below 10, one below 100, none above. */
const short = (value: number): string => (value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : int(value));

// --- Publish: an indexing rail against a plain one.

type Kind = 'plain' | 'indexed';
const KINDS = ['plain', 'indexed'] as const;
interface PublishRun {
  rate: number;
  /** This process's CPU µs per event. */
  cpu: number;
  /** The Redis server's CPU µs per event. */
  redis: number;
}
interface PublishCase {
  concurrency: number;
  ops: number;
  runs: Record<Kind, PublishRun[]>;
}

async function publishCases(
  client: Redis,
  rails: Record<Kind, ReplayRail>,
): Promise<{ cases: PublishCase[]; indexedEvents: number }> {
  const published: Record<string, number> = {};
  const round = async (kind: Kind, concurrency: number, ops: number): Promise<PublishRun> => {
    const channel = `${kind}:c${concurrency}`;
    const offset = published[channel] ?? 0;
    published[channel] = offset + ops;
    const rail = rails[kind];
    gc?.();
    const before = await redisCpu(client);
    const run = await measure(
      concurrency,
      ops,
      (n) => {
        const order = Math.floor((offset + n) / EVENTS_PER_ORDER);
        return rail.publish(correlated(channel, order, `req_c${concurrency}_${order}`));
      },
      stop.signal,
    );
    return { ...run, redis: ((await redisCpu(client)) - before) / ops };
  };
  const cases: PublishCase[] = [];
  for (const { concurrency, ops } of PUBLISH_CASES) {
    for (const kind of KINDS) await round(kind, concurrency, Math.min(ops, 2_000)); // warm-up
    const runs: Record<Kind, PublishRun[]> = { plain: [], indexed: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of r % 2 === 0 ? KINDS : ([...KINDS].reverse() as Kind[])) {
        runs[kind].push(await round(kind, concurrency, ops));
      }
      const line = KINDS.map((kind) => {
        const run = runs[kind][r] as PublishRun;
        return `${kind} ${int(run.rate)}/s ${run.cpu.toFixed(1)} µs, Redis ${run.redis.toFixed(1)} µs`;
      });
      console.error(`publish c=${concurrency} round ${r + 1}/${ROUNDS}: ${line.join('; ')}`);
    }
    cases.push({ concurrency, ops, runs });
  }
  const indexedEvents = Object.entries(published)
    .filter(([channel]) => channel.startsWith('indexed:'))
    .reduce((sum, [, count]) => sum + count, 0);
  return { cases, indexedEvents };
}

/** What the publish section's index takes in Redis: its keys, counted, and their size, sampled. */
interface Footprint {
  readonly lists: number;
  readonly sets: number;
  /** Estimated bytes of all of them (`MEMORY USAGE` of a sample of each kind, times the count). */
  readonly bytes: number;
  /** The events indexed: every indexed publish of the section, warm-ups included. */
  readonly events: number;
  /** Bytes per entry of the indexed 64-in-flight stream (`MEMORY USAGE … SAMPLES 0` ÷ `XLEN`). */
  readonly streamBytesPerEntry: number;
  readonly streamEntries: number;
}

async function footprint(client: Redis, store: RedisStreamStore, events: number): Promise<Footprint> {
  const SAMPLE = 200;
  const survey = async (match: string): Promise<{ count: number; bytes: number }> => {
    let cursor = '0';
    let count = 0;
    const sample: number[] = [];
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      count += keys.length;
      for (const key of keys.slice(0, Math.max(0, SAMPLE - sample.length))) {
        sample.push(Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')));
      }
      cursor = next;
    } while (cursor !== '0');
    return { count, bytes: sample.length === 0 ? 0 : (count * sample.reduce((a, b) => a + b, 0)) / sample.length };
  };
  const lists = await survey(`${PREFIX}:{indexed:*}:lineage:*`);
  const sets = await survey(`${PREFIX}:lineage:{*`);
  const stream = store.streamKey({ prefix: PREFIX, channel: 'indexed:c64' });
  const streamEntries = await client.xlen(stream);
  const streamBytes = Number(await client.call('MEMORY', 'USAGE', stream, 'SAMPLES', '0'));
  return {
    lists: lists.count,
    sets: sets.count,
    bytes: lists.bytes + sets.bytes,
    events,
    streamBytesPerEntry: streamBytes / streamEntries,
    streamEntries,
  };
}

// --- Lineage read: the index against a scan.

type Reader = 'index' | 'scan';
interface ReadRun {
  /** The median of the round's calls, in ms. */
  ms: number;
  /** This process's CPU µs per read. */
  cpu: number;
  /** The Redis server's CPU µs per read. */
  redis: number;
}
type ReadRuns = Record<Reader, ReadRun[]>;

/** Checks that both readers find the workflow, whole; returns the pages a scan reads. */
async function check(client: Redis, store: RedisStreamStore, rail: ReplayRail, workload: Workload): Promise<number> {
  const expected = [...workload.eventIds].sort().join();
  const lineage = await rail.lineage(workload.correlationId);
  const nodes = lineage.nodes.map((node) => node.event.event_id);
  if ([...nodes].sort().join() !== expected || lineage.nodes.some((node) => node.via !== 'index')) {
    throw new Error(`rail.lineage found ${nodes.length} events, not the workflow's ${WORKFLOW_EVENTS}`);
  }
  const edges = lineage.edges.filter((edge) => edge.dangling === undefined);
  if (edges.length !== WORKFLOW_EVENTS - 1 || lineage.edges.length !== edges.length) {
    throw new Error(`rail.lineage has ${lineage.edges.length} edges, expected ${WORKFLOW_EVENTS - 1}, none dangling`);
  }
  let indexed = 0;
  for (const channel of workload.channels) {
    indexed += await client.llen(store.lineageKeys({ prefix: PREFIX, channel }, workload.correlationId).index);
  }
  if (indexed !== WORKFLOW_EVENTS) throw new Error(`the workflow's index holds ${indexed} entries`);
  const scan = await scanLineage(client, workload.keys, workload.correlationId);
  if (
    scan.events
      .map((event) => event.event_id)
      .sort()
      .join() !== expected
  ) {
    throw new Error(`the scan found ${scan.events.length} events, not the workflow's ${WORKFLOW_EVENTS}`);
  }
  return scan.pages;
}

async function timeReads(client: Redis, rail: ReplayRail, workloads: readonly Workload[]): Promise<ReadRuns[]> {
  const runs: ReadRuns[] = workloads.map(() => ({ index: [], scan: [] }));
  const read = async (reader: Reader, workload: Workload): Promise<number> =>
    reader === 'index'
      ? (await rail.lineage(workload.correlationId)).nodes.length
      : (await scanLineage(client, workload.keys, workload.correlationId)).events.length;
  const sizes = workloads.map((_, i) => i);
  for (let round = 0; round <= ROUNDS; round++) {
    const readers: Reader[] = round % 2 === 0 ? ['index', 'scan'] : ['scan', 'index'];
    for (const size of Math.floor(round / 2) % 2 === 0 ? sizes : [...sizes].reverse()) {
      const workload = workloads[size] as Workload;
      for (const reader of readers) {
        stop.signal.throwIfAborted();
        gc?.();
        await sleep(SETTLE_MS);
        const times: number[] = [];
        const redisBefore = await redisCpu(client);
        const cpuBefore = process.cpuUsage();
        for (let call = 0; call < CALLS[reader]; call++) {
          const started = performance.now();
          const found = await read(reader, workload);
          times.push(performance.now() - started);
          if (found !== WORKFLOW_EVENTS) throw new Error(`${reader} read ${found} events, expected ${WORKFLOW_EVENTS}`);
        }
        const cpu = process.cpuUsage(cpuBefore);
        const redis = (await redisCpu(client)) - redisBefore;
        if (round === 0) continue; // warm-up
        runs[size]?.[reader].push({
          ms: median(times),
          cpu: (cpu.user + cpu.system) / CALLS[reader],
          redis: redis / CALLS[reader],
        });
      }
    }
    if (round > 0) {
      const line = workloads.map((workload, i) => {
        const last = (reader: Reader) => short(runs[i]?.[reader].at(-1)?.ms ?? Number.NaN);
        return `${int(workload.unrelated)}: index ${last('index')} ms, scan ${last('scan')} ms`;
      });
      console.error(`lineage read round ${round}/${ROUNDS}: ${line.join('; ')}`);
    }
  }
  return runs;
}

// --- bench:state's figure for a keyed channel, the other publish that became a script.

interface StateFigure {
  readonly spread: string;
  readonly median: number;
  readonly date: string;
  readonly commit: string;
}

async function stateFigure(): Promise<StateFigure | undefined> {
  const text = await readFile(new URL('../../results/state.md', import.meta.url), 'utf8').catch(() => '');
  const row = /keyed ÷ plain, 64 in flight\s*\|[^|]*\|\s*([\d.]+) \/ ([\d.]+) \/ ([\d.]+)×/.exec(text);
  const header = /^(\d{4}-\d\d-\d\d)T\S+ .*· commit (\S+)/m.exec(text);
  if (row === null) return undefined;
  return {
    spread: `${row[1]} / ${row[2]} / ${row[3]}×`,
    median: Number(row[2]),
    date: header?.[1] ?? '?',
    commit: header?.[2] ?? '?',
  };
}

// --- The report.

interface Header {
  readonly redis: string;
  readonly seconds: number;
  readonly footprint: Footprint;
  readonly state: StateFigure | undefined;
  /** Per workload: the pages one scan reads. */
  readonly pages: readonly number[];
}

function report(publish: PublishCase[], workloads: readonly Workload[], reads: ReadRuns[], header: Header): string {
  const goals: string[][] = [];
  const verdict = (holds: boolean, within: number, of: number) =>
    `${holds ? 'holds' : 'misses'} (${within} of ${of} rounds within)`;

  const publishRows: string[][] = [];
  for (const { concurrency, ops, runs } of publish) {
    const ratio = (of: (run: PublishRun) => number) =>
      runs.indexed.map((run, i) => of(run) / of(runs.plain[i] as PublishRun));
    const rates = ratio((run) => run.rate);
    const when = `${concurrency} in flight (${int(ops)} × ${ROUNDS})`;
    for (const kind of KINDS) {
      const of = runs[kind];
      publishRows.push([
        when,
        kind === 'plain' ? '`index: false` (one `XADD`)' : '`index: true` (the append script)',
        figures(
          of.map((run) => run.rate),
          int,
        ),
        figures(
          of.map((run) => run.cpu),
          (v) => v.toFixed(1),
        ),
        figures(
          of.map((run) => run.redis),
          (v) => v.toFixed(1),
        ),
      ]);
    }
    publishRows.push([
      when,
      'indexed ÷ plain',
      `${spread(rates)}×`,
      `${spread(ratio((run) => run.cpu))}×`,
      `${spread(ratio((run) => run.redis))}×`,
    ]);
    goals.push([
      `\`rail.publish\` events/s, indexed ÷ plain, ${concurrency} in flight`,
      `≥ ${PUBLISH_TARGET}×`,
      `${spread(rates)}×`,
      verdict(median(rates) >= PUBLISH_TARGET, rates.filter((r) => r >= PUBLISH_TARGET).length, rates.length),
    ]);
  }
  const { state } = header;
  goals.push([
    state === undefined
      ? "bench:state's keyed channel ÷ plain, 64 in flight: bench/results/state.md has no such figure"
      : `for comparison: bench:state's keyed channel ÷ plain, 64 in flight (bench/results/state.md, ${state.date}, commit ${state.commit})`,
    '—',
    state?.spread ?? '—',
    '—',
  ]);

  const [few, many] = [0, 1].map((i) => ({
    workload: workloads[i] as Workload,
    runs: reads[i] as ReadRuns,
  })) as [{ workload: Workload; runs: ReadRuns }, { workload: Workload; runs: ReadRuns }];
  const medianMs = (runs: readonly ReadRun[]) => median(runs.map((run) => run.ms));
  const growth = (reader: Reader) => medianMs(many.runs[reader]) / medianMs(few.runs[reader]);
  const perRound = (reader: Reader) => many.runs[reader].map((run, r) => run.ms / (few.runs[reader][r] as ReadRun).ms);
  const sizes = `${int(many.workload.unrelated)} ÷ ${int(few.workload.unrelated)} unrelated events`;
  goals.push([
    `\`rail.lineage\` of a ${WORKFLOW_EVENTS}-event workflow, median ms among ${sizes} (medians ${short(medianMs(many.runs.index))} / ${short(medianMs(few.runs.index))} ms)`,
    `≤ ${FLAT_TARGET}× (grows with the workflow, not the streams)`,
    `${spread(perRound('index'))}×`,
    `${growth('index') <= FLAT_TARGET ? 'holds' : 'misses'} (ratio of the medians ${growth('index').toFixed(2)}×)`,
  ]);
  goals.push([
    `the scan of the three streams, the same (medians ${short(medianMs(many.runs.scan))} / ${short(medianMs(few.runs.scan))} ms)`,
    `— (grows with the streams: ${(many.workload.unrelated / few.workload.unrelated).toFixed(0)}× the events)`,
    `${spread(perRound('scan'))}×`,
    `— (ratio of the medians ${growth('scan').toFixed(2)}×)`,
  ]);
  const readRows: string[][] = [];
  for (const [i, { workload, runs }] of [few, many].entries()) {
    for (const reader of ['index', 'scan'] as const) {
      const of = runs[reader];
      readRows.push([
        int(workload.unrelated),
        reader === 'index'
          ? `\`rail.lineage\` (the index), ${CALLS.index} calls per round`
          : `ioredis \`XRANGE … COUNT ${SCAN_PAGE}\` scan, ${CALLS.scan} calls per round`,
        reader === 'index' ? String(1 + workload.channels.length) : int(header.pages[i] ?? 0),
        figures(
          of.map((run) => run.ms),
          short,
        ),
        figures(
          of.map((run) => run.cpu),
          int,
        ),
        figures(
          of.map((run) => run.redis),
          int,
        ),
        `${figures(
          of.map((run, r) => (runs.scan[r] as ReadRun).ms / run.ms),
          short,
        )}×`,
      ]);
    }
    const faster = runs.index.map((run, r) => (runs.scan[r] as ReadRun).ms / run.ms);
    goals.push([
      `the scan's time ÷ \`rail.lineage\`'s, among ${int(workload.unrelated)} unrelated events`,
      '—',
      `${figures(faster, short)}×`,
      '—',
    ]);
  }

  const busy = publish.find((c) => c.concurrency === 64) as PublishCase;
  const costOf = (of: (run: PublishRun) => number) =>
    median(busy.runs.indexed.map((run, i) => of(run) / of(busy.runs.plain[i] as PublishRun))).toFixed(2);
  const costs = { redis: costOf((run) => run.redis), cpu: costOf((run) => run.cpu), rate: costOf((run) => run.rate) };
  const f = header.footprint;
  const [c1, c64] = PUBLISH_CASES;
  const share = (workload: Workload) => `${((workload.indexedUnrelated / workload.unrelated) * 100).toFixed(0)}%`;
  return [
    '# The lineage index: what indexing a publish and reading a lineage cost',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${header.redis} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${gitCommit()} · ${header.seconds} s${SMOKE ? ' · SMOKE (tiny sizes)' : ''}`,
    '',
    'With `config: { lineage: { index: true } }` every publish whose `metadata.correlation_id` is a string goes',
    "through store-redis's append script instead of one `XADD`: the `XADD`, then `RPUSH` of `e <id>` on the",
    "correlation's list in the channel (`<prefix>:{<channel>}:lineage:<correlation>`) and its `PEXPIRE` (`LTRIM`",
    "only past `maxEntries`), then `EXISTS`, `SADD` and `PTTL` of the correlation's set of channels",
    '(`<prefix>:lineage:{<correlation>}`) and its `PEXPIRE` when the set is new: six or seven commands in one atomic',
    'step (docs/lineage.md). `rail.lineage(id)` reads one `SMEMBERS`, then per channel one script: `LRANGE` of the',
    "correlation's list and `XRANGE id id` per entry. Everything runs on the Redis store over one ioredis client;",
    `the event is the sample order (about 200 bytes of JSON, an actor, metadata). ${ROUNDS} rounds after one warm-up,`,
    'the targets interleaved (publish: plain, indexed, then indexed, plain, …; reads: index and scan alternating,',
    'the two sizes alternating every two rounds), each round giving one ratio; figures are min / median / max over',
    "the rounds. CPU is user + system time per event or read: this process's (`process.cpuUsage`), and the Redis",
    "server's (`INFO cpu`, which counts whatever else the server did meanwhile). 2 cores shared by Redis, the",
    'benchmark and whatever else runs on the machine (other test runs): the min and max show it, the ratios',
    'within a round less so.',
    '',
    '## Targets',
    '',
    ...table(['figure', 'target', 'per round (min / median / max)', 'verdict (median)'], goals),
    '',
    '## Publish: an indexing rail against a plain one',
    '',
    `\`rail.publish\` on two rails over the same store, one with \`lineage.index: true\` and one with \`false\`, each to a`,
    `channel of its own, \`MAXLEN ~ ${int(MAX_LEN)}\` both; ${int(c1?.ops ?? 0)} publishes with 1 in flight and ${int(c64?.ops ?? 0)} with 64 per round.`,
    `The events are the same on both: ${EVENTS_PER_ORDER} per order, each order a correlation of its own, so the index is many`,
    'small lists (one per order) and sets (one per correlation), as an application that names each request has.',
    '',
    ...table(['case', 'rail', 'events/s', 'CPU µs per event', 'Redis CPU µs per event'], publishRows),
    '',
    state === undefined
      ? 'bench/results/state.md holds no keyed-channel figure at 64 in flight to compare with.'
      : `At 64 in flight the script costs the Redis server ${costs.redis}× what an \`XADD\` does per event and this process ${costs.cpu}× (medians), and the rate follows: indexed ÷ plain ${costs.rate}×. bench:state measured the same kind of cost for a keyed channel, whose append script runs two or three commands (\`XADD\`, \`HSET\`, \`ZADD\` of a new key): keyed ÷ plain ${state.spread} events/s (median ${state.median.toFixed(2)}×, bench/results/state.md of ${state.date}).`,
    '',
    `What the index took in Redis after this section: ${int(f.lists)} lists and ${int(f.sets)} sets for ${int(f.events)} indexed events`,
    `(warm-ups included), about ${mib(f.bytes)} MiB (\`MEMORY USAGE … SAMPLES 0\` of 200 keys of each kind, times their count):`,
    `${int(f.bytes / f.events)} bytes per indexed event, against ${int(f.streamBytesPerEntry)} bytes per entry in the indexed stream. The stream is`,
    `trimmed to about ${int(MAX_LEN)} entries (it holds ${int(f.streamEntries)}); the index is not trimmed with it: each list expires`,
    '`lineage.ttlMs` (7 days) after its last entry, for a channel kept by length alone, and an entry whose event',
    'was trimmed stays until then.',
    '',
    `## Lineage read: a workflow of ${WORKFLOW_EVENTS} among ${int(few.workload.unrelated)} and ${int(many.workload.unrelated)} unrelated events`,
    '',
    `A workflow of ${WORKFLOW_EVENTS} events over three channels (orders, kitchen, payments in turn), each published with the one`,
    `before as \`causedBy\`, spread among N unrelated events in the same channels: N written in ${WORKFLOW_EVENTS + 1} chunks, one`,
    `workflow event after each of the first ${WORKFLOW_EVENTS}. Of the N, ${int(few.workload.indexedUnrelated)} go through the indexing rail (${share(few.workload)} of ${int(few.workload.unrelated)}, ${share(many.workload)} of ${int(many.workload.unrelated)}),`,
    'the rest as pipelined raw `XADD`s in the same entry layout (not indexed), all in orders of five events each',
    'with a correlation of its own. The streams are not trimmed. `rail.lineage(id)` returns the workflow (checked:',
    `its ${WORKFLOW_EVENTS} events, ${WORKFLOW_EVENTS - 1} edges, none dangling); the peer is what a user writes without the index: each`,
    `stream read whole with ioredis \`XRANGE … COUNT ${SCAN_PAGE}\` (the three at once, as the rail reads its channels), each`,
    "entry's metadata parsed (`JSON.parse`) for its `correlation_id`, the matching entries decoded into events",
    "(`decodeEntry`, as the rail does) and put in cursor order. A round's figure is the median of its calls; CPU",
    `is per read. Each batch of calls starts after \`gc()\` and a ${SETTLE_MS} ms pause, so that V8's sweeping after a scan`,
    "(on another thread, on these 2 cores) does not land on the next batch. Round trips: the rail's are one",
    "`SMEMBERS` and one script per channel (sent at once); the scan's are its pages, three streams' pages in parallel.",
    '',
    ...table(
      [
        'unrelated events',
        'reader',
        'round trips',
        'ms per read',
        'CPU µs per read',
        'Redis CPU µs per read',
        "scan's time ÷ this one's",
      ],
      readRows,
    ),
    '',
  ].join('\n');
}

// --- Main: run, report, and always clean up.

const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
client.on('error', () => {}); // connection errors surface through the commands that fail
const store = new RedisStreamStore({ client });
const railWith = (index: boolean, maxStreamLength: number | null) =>
  new ReplayRail({ store, config: { streamPrefix: PREFIX, maxStreamLength, lineage: { index } } });
const rails: Record<Kind, ReplayRail> = { plain: railWith(false, MAX_LEN), indexed: railWith(true, MAX_LEN) };
/** The read section's rail: indexing, its channels kept whole. */
const readRail = railWith(true, null);
try {
  const started = Date.now();
  console.error(`prefix ${PREFIX}${SMOKE ? ' (SMOKE: tiny sizes, no results file)' : ''}`);
  const { cases, indexedEvents } = await publishCases(client, rails);
  const footprintOf = await footprint(client, store, indexedEvents);
  const workloads: Workload[] = [];
  for (const unrelated of SIZES) {
    const fillStarted = Date.now();
    workloads.push(
      await fillWorkload({
        client,
        store,
        rail: readRail,
        prefix: PREFIX,
        tag: `n${unrelated}`,
        unrelated,
        indexedUnrelated: INDEXED_UNRELATED,
        signal: stop.signal,
      }),
    );
    console.error(`wrote ${int(unrelated)} unrelated events and the workflow in ${Date.now() - fillStarted} ms`);
  }
  const pages: number[] = [];
  for (const workload of workloads) pages.push(await check(client, store, readRail, workload));
  const reads = await timeReads(client, readRail, workloads);
  const version = (await client.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const text = report(cases, workloads, reads, {
    redis: version,
    seconds: Math.round((Date.now() - started) / 1000),
    footprint: footprintOf,
    state: await stateFigure(),
    pages,
  });
  console.log(text);
  if (!SMOKE) {
    await writeResults('lineage.md', text);
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await store.close();
  const deleted = await deleteKeys(client, PREFIX).catch((error: unknown) => {
    console.error('cleanup failed:', error);
    return 0;
  });
  console.error(`deleted ${deleted} keys under ${PREFIX}`);
  await client.quit();
}
