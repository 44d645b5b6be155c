/**
 * Publish and replay throughput of `RedisStreamStore`, next to raw ioredis doing the
 * same Redis work, on one ioredis client against REDIS_URL (default 127.0.0.1:6379).
 *
 * - Publish: `rail.publish()` (one XADD MAXLEN ~ 10000) against `client.xadd()` with
 *   the same seven field values, a fixed number of operations with 1 and 64 in
 *   flight. After a warm-up, the targets run interleaved (raw, rail, raw, rail, …)
 *   so machine noise hits both alike; events/s is the median of the rounds, the
 *   ratio to raw the median of each round's ratio (paired, so steadier).
 * - Idempotent publish: `rail.publish({ eventId })` (one Lua script: GET, XADD, SET)
 *   at 64 in flight, in the same rounds, compared with raw XADD.
 * - Replay: 100,000 events through `rail.replayAll(…, { pageSize: 1000 })` against
 *   raw XRANGE pages of 1000, interleaved. Heap growth is the highest
 *   `heapUsed` sampled on every page, minus a baseline taken after `gc()`; it
 *   includes garbage not yet collected.
 *
 * Every key lives under a unique `rrbench-<time>` prefix and is deleted at the end,
 * also on error or Ctrl-C. Results go to stdout and bench/results/publish-replay.md.
 * Run: `pnpm bench` (builds the packages and this file, then node --expose-gc).
 */

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ReplayRail } from '@replayrail/core';
import { ENTRY_FIELDS, encodeEvent } from '@replayrail/core/store';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { deleteKeys, measure, median, sampleEvent, writeResults } from './common.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `rrbench-${Date.now()}`;
const MAX_LEN = 10_000;
const ROUNDS = 7;
const PUBLISH_CASES = [
  { concurrency: 1, ops: 5_000 },
  { concurrency: 64, ops: 20_000 },
];
const REPLAY_EVENTS = 100_000;
const REPLAY_ROUNDS = 3;
const PAGE_SIZE = 1_000;

const stop = new AbortController();
process.once('SIGINT', () => stop.abort(new Error('interrupted')));

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

/** Drains a replay, sampling the heap on every page; returns events/s and peak heap growth. */
async function measureReplay(drain: (onPage: () => void) => Promise<number>): Promise<[number, number]> {
  gc?.();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const started = performance.now();
  const count = await drain(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  });
  const rate = count / ((performance.now() - started) / 1000);
  if (count !== REPLAY_EVENTS) throw new Error(`replayed ${count} events, expected ${REPLAY_EVENTS}`);
  return [rate, peak - baseline];
}

const rate = (value: number): string => Math.round(value).toLocaleString('en-US');
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function run(client: Redis, pipelinedClient: Redis): Promise<string> {
  const rail = new ReplayRail({
    store: new RedisStreamStore({ client }),
    config: { streamPrefix: PREFIX, maxStreamLength: MAX_LEN },
  });
  const rows: string[] = [];

  // --- Publish: raw XADD vs rail.publish vs idempotent rail.publish.
  const rawKey = `${PREFIX}:raw`;
  const fields = encodeEvent(rail.prepareEvent(sampleEvent('pub', 0)), rail.config.limits);
  const values = ENTRY_FIELDS.flatMap((name) => [name, fields[name]]);
  let idempotentIds = 0;
  // What publishing this event with raw ioredis takes: an ID, a timestamp, one
  // JSON encoding per object field, one XADD in the same layout.
  const rawPublish = (redis: Redis, n: number) => {
    const event = sampleEvent('raw', n);
    return redis.xadd(
      rawKey,
      'MAXLEN',
      '~',
      String(MAX_LEN),
      '*',
      ...['event_id', randomUUID(), 'channel', event.channel, 'type', event.type],
      ...['payload', JSON.stringify(event.payload), 'actor', JSON.stringify(event.actor)],
      ...['metadata', JSON.stringify(event.metadata), 'created_at', new Date().toISOString()],
    );
  };
  const targets = {
    raw: (n: number) => rawPublish(client, n),
    // The same with ioredis batching commands itself, for reference (the store batches too).
    autopipelined: (n: number) => rawPublish(pipelinedClient, n),
    rail: (n: number) => rail.publish(sampleEvent('pub', n)),
    idempotent: (n: number) => rail.publish({ ...sampleEvent('idem', n), eventId: `evt-${idempotentIds++}` }),
  };
  console.error(`payload ${fields.payload.length} bytes, entry ${values.join('').length} bytes; prefix ${PREFIX}`);

  for (const { concurrency, ops } of PUBLISH_CASES) {
    const names =
      concurrency === 64 ? (['raw', 'autopipelined', 'rail', 'idempotent'] as const) : (['raw', 'rail'] as const);
    const results: Record<string, { rate: number; cpu: number }[]> = {
      raw: [],
      autopipelined: [],
      rail: [],
      idempotent: [],
    };
    for (const name of names) await measure(concurrency, Math.min(ops, 2_000), targets[name], stop.signal); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) results[name]?.push(await measure(concurrency, ops, targets[name], stop.signal));
    }
    const raw = results.raw as { rate: number; cpu: number }[];
    for (const name of names) {
      const runs = results[name] as { rate: number; cpu: number }[];
      const label = {
        raw: 'ioredis `xadd`',
        autopipelined: 'ioredis `xadd`, `enableAutoPipelining`',
        rail: '`rail.publish`',
        idempotent: '`rail.publish({ eventId })`',
      }[name];
      const ratio = median(runs.map((run, i) => run.rate / (raw[i] as { rate: number }).rate)).toFixed(2);
      const cpuRatio = median(runs.map((run, i) => run.cpu / (raw[i] as { cpu: number }).cpu)).toFixed(2);
      rows.push(
        `| publish, ${concurrency} in flight | ${label} | ${ops.toLocaleString('en-US')} × ${ROUNDS} | ${rate(median(runs.map((run) => run.rate)))} | ${ratio} | ${median(runs.map((run) => run.cpu)).toFixed(1)} | ${cpuRatio} | |`,
      );
      console.error(
        `publish c=${concurrency} ${name}: ${runs.map((run) => `${rate(run.rate)} (${run.cpu.toFixed(1)} µs)`).join(', ')}`,
      );
    }
  }

  // --- Replay: 100,000 events, rail.replayAll vs raw XRANGE paging.
  const filler = new ReplayRail({
    store: new RedisStreamStore({ client }),
    config: { streamPrefix: PREFIX, maxStreamLength: null },
  });
  await measure(64, REPLAY_EVENTS, (n) => filler.publish(sampleEvent('replay', n)), stop.signal); // fill the stream
  const replayKey = `${PREFIX}:replay`;
  const replayTargets = {
    raw: (onPage: () => void) => async () => {
      let count = 0;
      let start = '-';
      for (;;) {
        const page = await client.xrange(replayKey, start, '+', 'COUNT', PAGE_SIZE);
        count += page.length;
        onPage();
        const last = page.at(-1);
        if (page.length < PAGE_SIZE || last === undefined) return count;
        start = `(${last[0]}`;
      }
    },
    rail: (onPage: () => void) => async () => {
      let count = 0;
      for await (const event of rail.replayAll('replay', { after: '0-0', pageSize: PAGE_SIZE, signal: stop.signal })) {
        if (event.id !== '') count++;
        if (count % PAGE_SIZE === 0) onPage();
      }
      onPage();
      return count;
    },
  };
  const replay: Record<'raw' | 'rail', { rates: number[]; heap: number[] }> = {
    raw: { rates: [], heap: [] },
    rail: { rates: [], heap: [] },
  };
  for (let round = 0; round <= REPLAY_ROUNDS; round++) {
    for (const name of ['raw', 'rail'] as const) {
      stop.signal.throwIfAborted();
      const [value, heap] = await measureReplay((onPage) => replayTargets[name](onPage)());
      if (round === 0) continue; // warm-up
      replay[name].rates.push(value);
      replay[name].heap.push(heap);
    }
  }
  for (const name of ['raw', 'rail'] as const) {
    const { rates, heap } = replay[name];
    const label = name === 'raw' ? 'ioredis `xrange`, pages of 1000' : '`rail.replayAll`, pageSize 1000';
    const ratio = median(rates.map((value, i) => value / (replay.raw.rates[i] as number))).toFixed(2);
    rows.push(
      `| replay ${REPLAY_EVENTS.toLocaleString('en-US')} events | ${label} | ${REPLAY_EVENTS.toLocaleString('en-US')} × ${REPLAY_ROUNDS} | ${rate(median(rates))} | ${ratio} | | | ${mib(Math.max(...heap))} |`,
    );
    console.error(`replay ${name}: ${replay[name].rates.map(rate).join(', ')} ev/s`);
  }
  await rail.close();
  await filler.close();

  const server = (await client.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  return [
    '# Publish and replay benchmark (`@replayrail/store-redis`)',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${server} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}`,
    '',
    `Payload ${fields.payload.length} bytes of JSON plus actor and metadata. "raw" publishes the same event with`,
    'ioredis alone: a uuid, a timestamp, JSON.stringify of payload, actor and metadata, one XADD in the same layout.',
    'Events/s is the median of the rounds, "vs raw" the median of the rounds\' ratios (the targets run interleaved,',
    "so machine noise hits both alike). CPU is this process's user + system time per event, steadier than events/s",
    'on a shared machine. Peak heap growth is the',
    'highest `heapUsed` sampled once per page over a post-`gc()` baseline (the max of the rounds); it includes',
    'garbage not yet collected, so compare the two replay rows rather than reading it as live data.',
    '',
    '| case | target | operations | events/s | vs raw | CPU µs/event | CPU vs raw | peak heap growth |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
client.on('error', () => {}); // Connection errors surface through the commands that fail.
const pipelinedClient = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
pipelinedClient.on('error', () => {});
try {
  const report = await run(client, pipelinedClient);
  console.log(report);
  await writeResults('publish-replay.md', report);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  const deleted = await deleteKeys(client, PREFIX).catch((error: unknown) => {
    console.error('cleanup failed:', error);
    return 0;
  });
  console.error(`deleted ${deleted} keys under ${PREFIX}:*`);
  await client.quit();
  await pipelinedClient.quit();
}
