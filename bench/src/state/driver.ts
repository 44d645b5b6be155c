/**
 * @module
 * What a keyed channel costs (issue #24), on the Redis store (ioredis) against
 * REDIS_URL (default 127.0.0.1:6379):
 *
 * - Publish: `rail.publish` of the sample order event to a keyed channel (the
 *   append script: XADD, then HSET of the key's latest event, one step) against
 *   the same rail publishing to a plain channel (one XADD), both `MAXLEN ~ 10000`,
 *   with 1 and 64 in flight; four events per order, so keys are both added and
 *   replaced. Target: keyed ≥ 0.85× plain events/s.
 * - Snapshot: a keyed channel with 100,000 keys read to its end by
 *   `rail.snapshot(…)` against ioredis alone on the same hash: `HSCAN … COUNT 1000`
 *   decoding each value into the event it holds (the work the rail does per key),
 *   the same leaving values as strings, and one `HGETALL`. Target: ≤ 1.5× HSCAN's
 *   time. Memory is measured apart, in a fresh process per measurement
 *   (memory-probe.ts), at page sizes 100 and 1,000 and at 20,000 and 100,000 keys:
 *   the rail's must follow the page size, not the number of keys; and each reader
 *   reads the 100,000 keys once more in a process whose old space is capped below
 *   what they take decoded, which only a reader whose memory is bounded survives.
 *
 * Targets run interleaved (publish: plain, keyed, then keyed, plain, …; readers:
 * their order rotating), one warm-up first; each round gives one ratio. Figures are
 * min / median / max over the rounds. `SMOKE=1` runs tiny sizes and writes no
 * results file. Keys live under `rrstate-<time>` and are deleted at the end, also
 * on error or Ctrl-C. Results: stdout and bench/results/state.md. Run:
 * `pnpm bench:state` from the root (it builds the packages first).
 */

import { fork } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
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
  sampleEvent,
  spread,
  table,
  writeResults,
} from '../common.js';
import { Child, children, type Reply } from '../ipc.js';
import { LABELS, type Reader, readState, type StateSource } from './readers.js';
import { KEYED_POLICY, type MemoryArgs, type MemoryResult, type ProbeSetup } from './shared.js';

const SMOKE = process.env.SMOKE === '1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `rrstate-${Date.now()}`;
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
/** Events per order: an order's key is added by its first and replaced by the next three. */
const EVENTS_PER_ORDER = 4;
const KEYS = SMOKE ? 5_000 : 100_000;
const FEWER_KEYS = SMOKE ? 1_000 : 20_000;
const PAGE = 1_000;
const SMALL_PAGE = 100;
/** The old space of the capped probes, in MiB: well below the 100,000 keys decoded (about 130 MiB). */
const CAP_MIB = 32;
const PUBLISH_TARGET = 0.85;
const SNAPSHOT_TARGET = 1.5;

interface Timed {
  readonly reader: Reader;
  readonly pageSize: number;
}
/** The readers timed on KEYS keys; the first is the rail at PAGE, compared with the third. */
const TIMED: readonly Timed[] = [
  { reader: 'rail', pageSize: PAGE },
  { reader: 'rail', pageSize: SMALL_PAGE },
  { reader: 'railPages', pageSize: PAGE },
  { reader: 'hscan', pageSize: PAGE },
  { reader: 'hscanStrings', pageSize: PAGE },
  { reader: 'hgetall', pageSize: KEYS },
];
/** The readers whose memory is measured, at both key counts. */
const MEASURED: readonly Timed[] = [
  { reader: 'rail', pageSize: SMALL_PAGE },
  { reader: 'rail', pageSize: PAGE },
  { reader: 'hscan', pageSize: PAGE },
  { reader: 'hgetall', pageSize: KEYS },
];

const stop = new AbortController();
process.once('SIGINT', () => stop.abort(new Error('interrupted')));
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const label = ({ reader, pageSize }: Timed): string =>
  reader === 'hgetall'
    ? LABELS[reader]
    : `${LABELS[reader]}, ${reader.startsWith('rail') ? (reader === 'rail' ? 'pageSize' : 'limit') : 'COUNT'} ${pageSize}`;
const rotated = <T>(items: readonly T[], round: number): T[] =>
  items.map((_, i) => items[(i + round) % items.length] as T);

// --- Publish: a keyed channel against a plain one.

type Kind = 'plain' | 'keyed';
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

async function publishCases(client: Redis, rail: ReplayRail): Promise<PublishCase[]> {
  const published: Record<string, number> = {};
  const round = async (kind: Kind, concurrency: number, ops: number): Promise<PublishRun> => {
    const channel = `${kind}:c${concurrency}`;
    const offset = published[channel] ?? 0;
    published[channel] = offset + ops;
    gc?.();
    const before = await redisCpu(client);
    const run = await measure(
      concurrency,
      ops,
      (n) => rail.publish(sampleEvent(channel, Math.floor((offset + n) / EVENTS_PER_ORDER))),
      stop.signal,
    );
    return { ...run, redis: ((await redisCpu(client)) - before) / ops };
  };
  const cases: PublishCase[] = [];
  for (const { concurrency, ops } of PUBLISH_CASES) {
    for (const kind of ['plain', 'keyed'] as const) await round(kind, concurrency, Math.min(ops, 2_000)); // warm-up
    const runs: Record<Kind, PublishRun[]> = { plain: [], keyed: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of r % 2 === 0 ? (['plain', 'keyed'] as const) : (['keyed', 'plain'] as const)) {
        runs[kind].push(await round(kind, concurrency, ops));
      }
      const line = (['plain', 'keyed'] as const).map((kind) => {
        const run = runs[kind][r] as PublishRun;
        return `${kind} ${int(run.rate)}/s ${run.cpu.toFixed(1)} µs, Redis ${run.redis.toFixed(1)} µs`;
      });
      console.error(`publish c=${concurrency} round ${r + 1}/${ROUNDS}: ${line.join('; ')}`);
    }
    cases.push({ concurrency, ops, runs });
  }
  return cases;
}

// --- Snapshot: time, in this process.

interface ReadRun {
  ms: number;
  /** This process's CPU µs per key. */
  cpu: number;
  /** The Redis server's CPU µs per key. */
  redis: number;
}

async function fill(rail: ReplayRail, channel: string, keys: number): Promise<void> {
  await measure(64, keys, (n) => rail.publish(sampleEvent(channel, n)), stop.signal);
  const held = await rail.stateSize(channel);
  if (held !== keys) throw new Error(`${channel} holds ${held} keys, expected ${keys}`);
}

async function timeReaders(client: Redis, source: StateSource): Promise<ReadRun[][]> {
  const runs: ReadRun[][] = TIMED.map(() => []);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const index of rotated(
      TIMED.map((_, i) => i),
      round,
    )) {
      stop.signal.throwIfAborted();
      const { reader, pageSize } = TIMED[index] as Timed;
      gc?.();
      const redisBefore = await redisCpu(client);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const keys = await readState(source, reader, pageSize, () => {});
      const ms = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const redis = (await redisCpu(client)) - redisBefore;
      if (keys !== KEYS) throw new Error(`${reader} read ${keys} keys, expected ${KEYS}`);
      if (round === 0) continue; // warm-up
      (runs[index] as ReadRun[]).push({ ms, cpu: (cpu.user + cpu.system) / keys, redis: redis / keys });
    }
    if (round > 0) {
      const line = TIMED.map((timed, i) => `${timed.reader}/${timed.pageSize} ${runs[i]?.at(-1)?.ms.toFixed(0)} ms`);
      console.error(`snapshot round ${round}/${ROUNDS}: ${line.join(', ')}`);
    }
  }
  return runs;
}

// --- Snapshot: memory, one fresh process per measurement.

type MemoryRuns = Map<string, MemoryResult[]>;
const memoryKey = (timed: Timed, keys: number) => `${timed.reader}/${timed.pageSize}/${keys}`;

async function measureMemory(channels: Record<number, string>): Promise<MemoryRuns> {
  const results: MemoryRuns = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const keys of [FEWER_KEYS, KEYS]) {
      for (const timed of rotated(MEASURED, round)) {
        stop.signal.throwIfAborted();
        const probe = new Child('memory probe', new URL('./memory-probe.js', import.meta.url));
        try {
          await probe.request('setup', { redisUrl: REDIS_URL, prefix: PREFIX } satisfies ProbeSetup);
          const args: MemoryArgs = { channel: channels[keys] as string, ...timed };
          const result = await probe.request<MemoryResult>('measure', args, 300_000);
          if (result.keys !== keys) throw new Error(`${memoryKey(timed, keys)} read ${result.keys} keys`);
          results.set(memoryKey(timed, keys), [...(results.get(memoryKey(timed, keys)) ?? []), result]);
          await probe.request('stop');
        } finally {
          await probe.end();
        }
      }
      const line = MEASURED.map((timed) => {
        const result = results.get(memoryKey(timed, keys))?.at(-1);
        return `${timed.reader}/${timed.pageSize} live ${mib(result?.live ?? 0)} MiB RSS ${mib(result?.rss ?? 0)} MiB`;
      });
      console.error(`memory round ${round + 1}/${ROUNDS}, ${int(keys)} keys: ${line.join(', ')}`);
    }
  }
  return results;
}

// --- Snapshot: a heap too small for the keys.

/**
 * One read of the state in a fresh process whose old space is capped at CAP_MIB:
 * its result, or null when it ran out of memory (V8's fatal error, on its stderr).
 */
async function cappedRead(args: MemoryArgs): Promise<MemoryResult | null> {
  const child = fork(fileURLToPath(new URL('./memory-probe.js', import.meta.url)), [], {
    execArgv: ['--expose-gc', `--max-old-space-size=${CAP_MIB}`],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit').then(() => undefined);
  let id = 0;
  // One request at a time, answered as ipc.ts's `serve` answers; undefined when the process ended first.
  const ask = async <T>(op: string, body: unknown): Promise<T | undefined> => {
    const asked = id++;
    const answer = new Promise<T>((resolve, reject) => {
      child.on('message', (reply: Reply) => {
        if (reply.id !== asked) return;
        if (reply.ok) resolve(reply.result as T);
        else reject(new Error(`capped probe: ${reply.error}`));
      });
    });
    child.send({ id: asked, op, args: body });
    return Promise.race([answer, exited]);
  };
  try {
    await ask('setup', { redisUrl: REDIS_URL, prefix: PREFIX } satisfies ProbeSetup);
    const result = await ask<MemoryResult>('measure', { ...args, once: true } satisfies MemoryArgs);
    if (result !== undefined) return result;
    if (/heap out of memory/i.test(stderr)) return null;
    throw new Error(`capped probe ended: ${stderr.slice(-1_000)}`);
  } finally {
    child.kill('SIGKILL');
  }
}

async function measureCapped(channel: string): Promise<Map<string, (MemoryResult | null)[]>> {
  const results = new Map<string, (MemoryResult | null)[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const timed of rotated(MEASURED, round)) {
      stop.signal.throwIfAborted();
      const result = await cappedRead({ channel, ...timed });
      if (result !== null && result.keys !== KEYS)
        throw new Error(`${memoryKey(timed, KEYS)} read ${result.keys} keys`);
      results.set(memoryKey(timed, KEYS), [...(results.get(memoryKey(timed, KEYS)) ?? []), result]);
    }
    const line = MEASURED.map((timed) => {
      const result = results.get(memoryKey(timed, KEYS))?.at(-1);
      return `${timed.reader}/${timed.pageSize} ${result === null ? 'out of memory' : `RSS ${mib(result?.rss ?? 0)} MiB`}`;
    });
    console.error(`capped round ${round + 1}/${ROUNDS}, ${CAP_MIB} MiB old space: ${line.join(', ')}`);
  }
  return results;
}

// --- The report.

interface Header {
  readonly redis: string;
  readonly seconds: number;
  readonly stateBytes: { hash: number; keys: number };
}

function report(
  publish: PublishCase[],
  reads: ReadRun[][],
  memory: MemoryRuns,
  capped: Map<string, (MemoryResult | null)[]>,
  header: Header,
): string {
  const goals: string[][] = [];
  const verdict = (holds: boolean, within: number, of: number) =>
    `${holds ? 'holds' : 'misses'} (${within} of ${of} rounds within)`;

  const publishRows: string[][] = [];
  for (const { concurrency, ops, runs } of publish) {
    const rates = runs.keyed.map((run, i) => run.rate / (runs.plain[i] as PublishRun).rate);
    const cpus = runs.keyed.map((run, i) => run.cpu / (runs.plain[i] as PublishRun).cpu);
    const redis = runs.keyed.map((run, i) => run.redis / (runs.plain[i] as PublishRun).redis);
    for (const kind of ['plain', 'keyed'] as const) {
      const of = runs[kind];
      publishRows.push([
        `${concurrency} in flight (${int(ops)} × ${ROUNDS})`,
        kind === 'plain' ? 'plain channel (one `XADD`)' : 'keyed channel (the append script)',
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
      `${concurrency} in flight (${int(ops)} × ${ROUNDS})`,
      'keyed ÷ plain',
      `${spread(rates)}×`,
      `${spread(cpus)}×`,
      `${spread(redis)}×`,
    ]);
    goals.push([
      `\`rail.publish\` events/s, keyed ÷ plain, ${concurrency} in flight`,
      `≥ ${PUBLISH_TARGET}×`,
      `${spread(rates)}×`,
      verdict(median(rates) >= PUBLISH_TARGET, rates.filter((r) => r >= PUBLISH_TARGET).length, rates.length),
    ]);
  }

  const hscan = reads[TIMED.findIndex((t) => t.reader === 'hscan')] as ReadRun[];
  const strings = reads[TIMED.findIndex((t) => t.reader === 'hscanStrings')] as ReadRun[];
  const cpuOf = (run: ReadRun) => run.cpu + run.redis;
  const readRows = TIMED.map((timed, i) => {
    const runs = reads[i] as ReadRun[];
    return [
      label(timed),
      figures(
        runs.map((run) => run.ms),
        int,
      ),
      int(KEYS / (median(runs.map((run) => run.ms)) / 1000)),
      figures(
        runs.map((run) => run.cpu),
        (v) => v.toFixed(2),
      ),
      figures(
        runs.map((run) => run.redis),
        (v) => v.toFixed(2),
      ),
      `${spread(runs.map((run, r) => run.ms / (hscan[r] as ReadRun).ms))}×`,
      `${spread(runs.map((run, r) => cpuOf(run) / cpuOf(hscan[r] as ReadRun)))}×`,
      `${spread(runs.map((run, r) => run.ms / (strings[r] as ReadRun).ms))}×`,
    ];
  });
  const rail = reads[0] as ReadRun[];
  const railRatio = rail.map((run, r) => run.ms / (hscan[r] as ReadRun).ms);
  goals.push([
    `\`rail.snapshot\` of ${int(KEYS)} keys (pageSize ${PAGE}), time ÷ \`HSCAN\` decoding the same`,
    `≤ ${SNAPSHOT_TARGET}×`,
    `${spread(railRatio)}×`,
    verdict(
      median(railRatio) <= SNAPSHOT_TARGET,
      railRatio.filter((r) => r <= SNAPSHOT_TARGET).length,
      railRatio.length,
    ),
  ]);
  const railBare = rail.map((run, r) => run.ms / (strings[r] as ReadRun).ms);
  goals.push([
    'the same, ÷ `HSCAN` leaving values as strings (no decoding: a bound, not a peer)',
    '—',
    `${spread(railBare)}×`,
    '—',
  ]);
  const memoryRows: string[][] = [];
  const liveOf = (timed: Timed, keys: number) => median((memory.get(memoryKey(timed, keys)) ?? []).map((m) => m.live));
  for (const timed of MEASURED) {
    for (const keys of [FEWER_KEYS, KEYS]) {
      const runs = memory.get(memoryKey(timed, keys)) ?? [];
      memoryRows.push([
        label(timed),
        int(keys),
        int(runs[0]?.pages ?? 0),
        figures(
          runs.map((m) => m.live),
          mib,
        ),
        figures(
          runs.map((m) => m.heap),
          mib,
        ),
        figures(
          runs.map((m) => m.rss),
          mib,
        ),
      ]);
    }
  }
  // Bounded by the page size: 5× the keys leaves the rail's live heap where it was, at each page size.
  for (const timed of MEASURED.filter((t) => t.reader === 'rail')) {
    const growth = liveOf(timed, KEYS) / liveOf(timed, FEWER_KEYS);
    goals.push([
      `\`rail.snapshot\` live heap at pageSize ${timed.pageSize}: ${int(KEYS)} keys ÷ ${int(FEWER_KEYS)} keys (medians: ${mib(liveOf(timed, KEYS))} / ${mib(liveOf(timed, FEWER_KEYS))} MiB)`,
      `≤ 1.25× (bounded by the page size, not the keys)`,
      `${growth.toFixed(2)}×`,
      growth <= 1.25 ? 'holds' : 'misses',
    ]);
  }
  const cappedRows = MEASURED.map((timed) => {
    const runs = capped.get(memoryKey(timed, KEYS)) ?? [];
    const done = runs.filter((run): run is MemoryResult => run !== null);
    return [
      label(timed),
      done.length === runs.length ? `all ${runs.length}` : `${done.length} of ${runs.length}: out of memory`,
      done.length === 0
        ? ''
        : figures(
            done.map((m) => m.rss),
            mib,
          ),
    ];
  });
  const boundedReaders = MEASURED.filter((t) => t.reader !== 'hgetall');
  const survived = boundedReaders.every((timed) =>
    (capped.get(memoryKey(timed, KEYS)) ?? []).every((run) => run !== null),
  );
  goals.push([
    `\`rail.snapshot\` of ${int(KEYS)} keys in a process with a ${CAP_MIB} MiB old space (pageSizes ${SMALL_PAGE} and ${PAGE})`,
    'completes every round',
    cappedRows
      .filter((_, i) => MEASURED[i]?.reader === 'rail')
      .map((row) => row[1])
      .join('; '),
    survived ? 'holds' : 'misses',
  ]);
  const hgetall = MEASURED.find((t) => t.reader === 'hgetall') as Timed;
  const [p100, p1000] = MEASURED.filter((t) => t.reader === 'rail') as [Timed, Timed];

  const [c1, c64] = PUBLISH_CASES;
  return [
    '# Keyed channels: what publishing to one and reading its snapshot cost',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${header.redis} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${gitCommit()} · ${header.seconds} s${SMOKE ? ' · SMOKE (tiny sizes)' : ''}`,
    '',
    'A keyed channel (`channels: [{ match, state: { key: "order_id", tombstones } }]`) keeps the latest event of',
    "each key beside its stream, changed by the append itself (store-redis's append script: `XADD`, then `HSET` of",
    "the key's entry and `ZADD` of a new key, one atomic step). Everything runs on the Redis store over one ioredis",
    `client; the event is the sample order (about 200 bytes of JSON, an actor, metadata). ${ROUNDS} rounds after one`,
    'warm-up, the targets interleaved (publish: plain, keyed, then keyed, plain, …; readers: their order rotating),',
    'each round giving one ratio; figures are min / median / max over the rounds. CPU is user + system time per',
    "event or key: this process's (`process.cpuUsage`), and the Redis server's (`INFO cpu`, which counts whatever",
    'else the server did meanwhile). 2 cores shared by Redis, the benchmark and whatever else runs on the machine',
    '(other test runs): the min and max show it, the ratios within a round less so.',
    '',
    '## Targets',
    '',
    ...table(['figure', 'target', 'per round (min / median / max)', 'verdict (median)'], goals),
    '',
    '## Publish: a keyed channel against a plain one',
    '',
    `\`rail.publish\` on one rail, to a channel its policy keys and to one it does not, \`MAXLEN ~ ${int(MAX_LEN)}\` both;`,
    `${int(c1?.ops ?? 0)} publishes with 1 in flight and ${int(c64?.ops ?? 0)} with 64 per round; ${EVENTS_PER_ORDER} events per order, so`,
    'a keyed publish adds a key or replaces one (the state grows by a quarter of the publishes: it is never trimmed).',
    '',
    ...table(['case', 'channel', 'events/s', 'CPU µs per event', 'Redis CPU µs per event'], publishRows),
    '',
    `## Snapshot of ${int(KEYS)} keys: time`,
    '',
    `A keyed channel filled with ${int(KEYS)} orders (one event each), then read to its end. \`rail.snapshot\` pages with`,
    "one script per page (`ZRANGEBYLEX` on the sorted set of keys, `HMGET` of their values, the stream's last ID on",
    "the first page) and yields each key's event decoded (`snapshot: true`). The peers read the hash the state",
    'keeps with ioredis alone: `HSCAN` decoding each value into the same event (what the rail does per key), `HSCAN`',
    "leaving values as strings, one `HGETALL` decoding each. Ratios: each reader's time over the peer's in the same round.",
    `The state of ${int(KEYS)} keys takes ${mib(header.stateBytes.hash)} MiB in Redis (its hash) and ${mib(header.stateBytes.keys)} MiB (its sorted set of keys), by \`MEMORY USAGE … SAMPLES 0\`.`,
    '',
    ...table(
      [
        'reader',
        'ms',
        'keys/s (median)',
        'CPU µs per key',
        'Redis CPU µs per key',
        'time ÷ `HSCAN`, decoded',
        'CPU (both) ÷ `HSCAN`, decoded',
        'time ÷ `HSCAN`, strings',
      ],
      readRows,
    ),
    '',
    '## Snapshot: memory',
    '',
    'Each figure from a fresh process (bench/src/state/memory-probe.ts), one per reader, key count and round:',
    'it reads the state once sampling `process.memoryUsage()` at every page (peak `heapUsed` and RSS over a',
    'baseline taken after `gc()`: what a program sees, garbage included; RSS also holds the code the first read',
    'compiles), then once more calling `gc()` before each sample: the live heap, what the reader holds at its',
    `pages. The rail's live heap follows the page size and not the keys (pageSize ${p100.pageSize}: ${mib(liveOf(p100, FEWER_KEYS))} → ${mib(liveOf(p100, KEYS))} MiB, pageSize ${p1000.pageSize}: ${mib(liveOf(p1000, FEWER_KEYS))} → ${mib(liveOf(p1000, KEYS))} MiB`,
    `for ${int(FEWER_KEYS)} → ${int(KEYS)} keys); \`HGETALL\`'s follows the keys (${mib(liveOf(hgetall, FEWER_KEYS))} → ${mib(liveOf(hgetall, KEYS))} MiB). Without forced collections the`,
    'peaks grow with the keys read for every reader, `HSCAN` as much as the rail: V8 promotes the pages it has',
    'not collected yet to its old space and puts off the major collection while the heap may grow. That is',
    'garbage, not memory held, as the next table shows.',
    '',
    ...table(
      ['reader', 'keys', 'pages', 'live heap MiB', 'peak heapUsed growth MiB', 'peak RSS growth MiB'],
      memoryRows,
    ),
    '',
    `### ${int(KEYS)} keys in a ${CAP_MIB} MiB old space`,
    '',
    `Each reader once per round in a fresh process started with \`--max-old-space-size=${CAP_MIB}\`, well below the`,
    `${mib(liveOf(hgetall, KEYS))} MiB the keys take decoded: a reader that holds only its page completes, with V8 collecting as it goes;`,
    "one that holds every key runs out of memory (V8's fatal error ends the process).",
    '',
    ...table(['reader', 'rounds completed', 'peak RSS growth MiB'], cappedRows),
    '',
  ].join('\n');
}

// --- Main: run, report, and always clean up.

async function cleanup(client: Redis): Promise<number> {
  // The state's keys carry their stream's hash tag: `{<prefix>:<channel>}:state`.
  let deleted = await deleteKeys(client, PREFIX);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `{${PREFIX}:*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
client.on('error', () => {}); // connection errors surface through the commands that fail
const store = new RedisStreamStore({ client });
const rail = new ReplayRail({
  store,
  config: { streamPrefix: PREFIX, maxStreamLength: MAX_LEN, channels: [KEYED_POLICY] },
});
try {
  const started = Date.now();
  console.error(`prefix ${PREFIX}${SMOKE ? ' (SMOKE: tiny sizes, no results file)' : ''}`);
  const publish = await publishCases(client, rail);
  const channels: Record<number, string> = {
    [KEYS]: `keyed:snapshot-${KEYS}`,
    [FEWER_KEYS]: `keyed:snapshot-${FEWER_KEYS}`,
  };
  for (const [keys, channel] of Object.entries(channels)) await fill(rail, channel, Number(keys));
  const stateKeys = store.stateKeys({ prefix: PREFIX, channel: channels[KEYS] as string });
  const stateBytes = {
    hash: Number(await client.call('MEMORY', 'USAGE', stateKeys.values, 'SAMPLES', '0')),
    keys: Number(await client.call('MEMORY', 'USAGE', stateKeys.keys, 'SAMPLES', '0')),
  };
  const source: StateSource = { client, rail, channel: channels[KEYS] as string, hash: stateKeys.values };
  const reads = await timeReaders(client, source);
  const memory = await measureMemory(channels);
  const capped = await measureCapped(channels[KEYS] as string);
  const version = (await client.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const text = report(publish, reads, memory, capped, {
    redis: version,
    seconds: Math.round((Date.now() - started) / 1000),
    stateBytes,
  });
  console.log(text);
  if (!SMOKE) {
    await writeResults('state.md', text);
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill();
  await rail.close();
  const deleted = await cleanup(client).catch((error: unknown) => {
    console.error('cleanup failed:', error);
    return 0;
  });
  console.error(`deleted ${deleted} keys under ${PREFIX}`);
  await client.quit();
}
