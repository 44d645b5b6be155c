/**
 * Many busy channels in one process: N channels with a subscriber each
 * (`rail.subscribe`, RedisStreamStore on ioredis), events published from another
 * connection to random channels at a fixed rate, on:
 * - one Redis server (REDIS_URL, default 127.0.0.1:6379) with the shared blocking
 *   read (one XREAD for every channel's wait; the default there), and with
 *   wake-ups by sharded pub/sub (`wakeups: 'pubsub'`);
 * - a Redis Cluster of 3 primaries this program starts on loopback ports, with
 *   wake-ups by sharded pub/sub (the default there), and with one blocking XREAD
 *   per channel on the store's pool of 8 (`wakeups: 'own-xread'`, what a cluster did
 *   before), at 40 channels.
 * Rounds interleave the modes. Reports delivery latency (publish to handler), what
 * arrived, and the connections the store opened besides the client's own. Keys
 * live under `rrchannels-<time>` and are deleted at the end; the cluster is
 * stopped. Writes bench/results/many-channels.md. Run: `pnpm bench:channels`.
 */

import os from 'node:os';
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore, type RedisStreamStoreOptions } from '@replayrail/store-redis';
import { startRedisCluster } from '@replayrail/testkit/servers';
import { Cluster, Redis } from 'ioredis';
import { deleteKeys, gitCommit, median, writeResults } from './common.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `rrchannels-${Date.now()}`;
const ROUNDS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Mode {
  readonly key: string;
  readonly label: string;
  readonly cluster: boolean;
  readonly options: Partial<RedisStreamStoreOptions>;
}

const MODES: Record<string, Mode> = {
  xread: { key: 'xread', label: 'one server, shared XREAD (default)', cluster: false, options: {} },
  'server-pubsub': {
    key: 'server-pubsub',
    label: "one server, wake-ups by sharded pub/sub (`wakeups: 'pubsub'`)",
    cluster: false,
    options: { wakeups: 'pubsub' },
  },
  'cluster-pubsub': {
    key: 'cluster-pubsub',
    label: 'cluster of 3, wake-ups by sharded pub/sub (default)',
    cluster: true,
    options: {},
  },
  'cluster-xread': {
    key: 'cluster-xread',
    label: "cluster of 3, one XREAD per channel, pool of 8 (`wakeups: 'own-xread'`)",
    cluster: true,
    options: { wakeups: 'own-xread' },
  },
};

// Channel counts, the events sent to them, at one every `everyMs`, and the modes run.
const SCENARIOS = [
  { channels: 40, events: 400, everyMs: 10, modes: ['xread', 'server-pubsub', 'cluster-pubsub', 'cluster-xread'] },
  { channels: 1_000, events: 1_000, everyMs: 5, modes: ['xread', 'server-pubsub', 'cluster-pubsub'] },
] as const;

interface Round {
  p50: number;
  p99: number;
  max: number;
  delivered: number;
  connections: number;
}

type MakeClient = () => Redis | Cluster;

const PUBLISHES = 5_000;
const IN_FLIGHT = 100;

/** Publishes per second to 1,000 channels, `IN_FLIGHT` at a time: what each mode costs the publish path. */
async function publishRate(mode: Mode, index: number, make: MakeClient): Promise<number> {
  const client = make();
  const publisher = new ReplayRail({
    store: new RedisStreamStore({ client, ...mode.options }),
    config: { streamPrefix: `${PREFIX}:publish:${mode.key}:${index}` },
  });
  try {
    await publisher.publish({ channel: 'warm', type: 't', payload: {} });
    const start = performance.now();
    for (let n = 0; n < PUBLISHES; n += IN_FLIGHT) {
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, (_, i) =>
          publisher.publish({ channel: `ch${(n + i) % 1_000}`, type: 't', payload: { n: n + i } }),
        ),
      );
    }
    return PUBLISHES / ((performance.now() - start) / 1000);
  } finally {
    await publisher.close();
    client.disconnect();
  }
}

async function round(
  mode: Mode,
  scenario: (typeof SCENARIOS)[number],
  index: number,
  make: MakeClient,
): Promise<Round> {
  const client = make();
  const publisherClient = make();
  const streamPrefix = `${PREFIX}:${mode.key}:${scenario.channels}:${index}`;
  const store = new RedisStreamStore({ client, ...mode.options });
  const rail = new ReplayRail({ store, config: { streamPrefix } });
  const publisher = new ReplayRail({
    store: new RedisStreamStore({ client: publisherClient, ...mode.options }),
    config: { streamPrefix },
  });
  const latencies: number[] = [];
  try {
    for (let channel = 0; channel < scenario.channels; channel += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, scenario.channels - channel) }, (_, i) =>
          rail.subscribe(`ch${channel + i}`, {
            from: 'latest',
            onEvent: (event) =>
              latencies.push(performance.timeOrigin + performance.now() - (event.payload.t as number)),
          }),
        ),
      );
    }
    await sleep(300);
    let connections = 0;
    const start = performance.now();
    const sending: Promise<unknown>[] = [];
    for (let n = 0; n < scenario.events; n++) {
      const due = start + n * scenario.everyMs;
      const now = performance.now();
      if (due > now) await sleep(due - now);
      const channel = `ch${Math.floor(Math.random() * scenario.channels)}`;
      sending.push(
        publisher.publish({ channel, type: 't', payload: { t: performance.timeOrigin + performance.now() } }),
      );
      connections = Math.max(connections, store.blockingConnections + store.wakeupConnections);
    }
    await Promise.all(sending);
    // Late events still count; lost ones would show in the deliveries.
    for (let wait = 0; wait < 100 && latencies.length < scenario.events; wait++) await sleep(50);
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? Number.NaN;
    return {
      p50: at(0.5),
      p99: at(0.99),
      max: latencies.at(-1) ?? Number.NaN,
      delivered: latencies.length,
      connections,
    };
  } finally {
    await rail.close();
    await publisher.close();
    client.disconnect();
    publisherClient.disconnect();
  }
}

const redis = new Redis(REDIS_URL);
const cluster = await startRedisCluster(3, 0);
const clusterAdmin = new Cluster([...cluster.startupNodes]);
try {
  const makers: Record<'server' | 'cluster', MakeClient> = {
    server: () => new Redis(REDIS_URL),
    cluster: () => new Cluster([...cluster.startupNodes]),
  };
  const results = new Map<string, Round[]>();
  for (const scenario of SCENARIOS) {
    for (let index = 0; index < ROUNDS; index++) {
      const order = index % 2 === 0 ? scenario.modes : [...scenario.modes].reverse();
      for (const key of order) {
        const mode = MODES[key] as Mode;
        const result = await round(mode, scenario, index, makers[mode.cluster ? 'cluster' : 'server']);
        console.error(
          `${scenario.channels} channels, round ${index + 1}, ${mode.key}: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.delivered}/${scenario.events}, ${result.connections} connections`,
        );
        const id = `${scenario.channels}:${key}`;
        results.set(id, [...(results.get(id) ?? []), result]);
      }
    }
  }
  const rates = new Map<string, number[]>();
  const publishModes = ['xread', 'server-pubsub', 'cluster-xread', 'cluster-pubsub'] as const;
  for (let index = 0; index < ROUNDS; index++) {
    for (const key of index % 2 === 0 ? publishModes : [...publishModes].reverse()) {
      const mode = MODES[key] as Mode;
      const rate = await publishRate(mode, index, makers[mode.cluster ? 'cluster' : 'server']);
      console.error(`publish, round ${index + 1}, ${key}: ${Math.round(rate)}/s`);
      rates.set(key, [...(rates.get(key) ?? []), rate]);
    }
  }
  const ms = (rounds: Round[], pick: (r: Round) => number) => median(rounds.map(pick)).toFixed(1);
  const spread = (rounds: Round[], pick: (r: Round) => number) => rounds.map((r) => pick(r).toFixed(1)).join(' / ');
  const version = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const lines = [
    '# Many channels: how a live read waits, on one server and on a cluster',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${version} (one server on ${new URL(REDIS_URL).host}; a cluster of 3 primaries on loopback ports, started by the benchmark) · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${gitCommit()}`,
    '',
    'Channels with one subscriber each (`rail.subscribe`, RedisStreamStore on ioredis), events published at a',
    'fixed rate to random channels from another connection; latency is publish to handler. Median of',
    `${ROUNDS} interleaved rounds, then each round's figure (round 1 / 2 / 3). Connections: those the store`,
    'opened besides its client (blocking reads, wake-up subscribers), the most seen.',
    '',
  ];
  for (const scenario of SCENARIOS) {
    const rate = Math.round(1000 / scenario.everyMs);
    const standalone = results.get(`${scenario.channels}:xread`) ?? [];
    lines.push(
      `## ${scenario.channels} channels, ${scenario.events} events at ${rate}/s`,
      '',
      '| mode | p50 (ms) | p99 (ms) | p99 each round | max (ms) | p99 ÷ one server, shared XREAD | delivered within 5 s (all rounds) | connections |',
      '| ---- | -------: | -------: | -------------: | -------: | -----------------------------: | --------------------------------: | ----------: |',
    );
    for (const key of scenario.modes) {
      const rounds = results.get(`${scenario.channels}:${key}`) ?? [];
      const ratio = median(rounds.map((r) => r.p99)) / median(standalone.map((r) => r.p99));
      lines.push(
        `| ${MODES[key]?.label} | ${ms(rounds, (r) => r.p50)} | ${ms(rounds, (r) => r.p99)} | ${spread(rounds, (r) => r.p99)} | ${ms(rounds, (r) => r.max)} | ${ratio.toFixed(2)} | ${rounds.reduce((sum, r) => sum + r.delivered, 0)} of ${scenario.events * ROUNDS} | ${Math.max(...rounds.map((r) => r.connections))} |`,
      );
    }
    lines.push('');
  }
  const plain = median(rates.get('xread') ?? []);
  lines.push(
    `## What the publish path pays: ${PUBLISHES} publishes to 1,000 channels, ${IN_FLIGHT} in flight`,
    '',
    'A plain publish is one `XADD`; with wake-ups by pub/sub it is one script doing `XADD` and `SPUBLISH`.',
    '',
    '| mode | publishes/s (median) | each round | ÷ one server, plain XADD |',
    '| ---- | -------------------: | ---------: | -----------------------: |',
    ...publishModes.map((key) => {
      const list = rates.get(key) ?? [];
      return `| ${MODES[key]?.label} | ${Math.round(median(list))} | ${list.map((rate) => Math.round(rate)).join(' / ')} | ${(median(list) / plain).toFixed(2)} |`;
    }),
    '',
  );
  const report = lines.join('\n');
  console.log(report);
  await writeResults('many-channels.md', report);
} finally {
  const deleted = await deleteKeys(redis, PREFIX);
  console.error(`deleted ${deleted} keys under ${PREFIX}:* on ${REDIS_URL}`);
  redis.disconnect();
  clusterAdmin.disconnect();
  await cluster.stop();
}
