/**
 * Many busy channels in one process: 40 channels with a subscriber each, 400
 * events published at about 100/s to random channels from another connection, on
 * RedisStreamStore with the shared blocking read (one XREAD for every channel's
 * wait) and with one wait per channel on the pool of 8 (`shareBlockingReads:
 * false`, what a cluster does). Rounds interleave the two. Reports delivery
 * latency (publish to handler), what arrived, and the blocking connections held.
 * Keys live under `rrchannels-<time>` and are deleted at the end. Writes
 * bench/results/many-channels.md. Run: `pnpm bench:channels`.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { deleteKeys, gitCommit, median } from './common.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `rrchannels-${Date.now()}`;
const CHANNELS = 40;
const EVENTS = 400;
const ROUNDS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MODES = [
  { key: 'shared', label: 'one shared XREAD (default)', share: true },
  { key: 'per-channel', label: 'one XREAD per channel, pool of 8', share: false },
] as const;

interface Round {
  p50: number;
  p99: number;
  max: number;
  delivered: number;
  connections: number;
}

async function round(share: boolean, index: number): Promise<Round> {
  const client = new Redis(REDIS_URL);
  const publisherClient = new Redis(REDIS_URL);
  const streamPrefix = `${PREFIX}:${share ? 's' : 'p'}${index}`;
  const store = new RedisStreamStore({ client, shareBlockingReads: share });
  const rail = new ReplayRail({ store, config: { streamPrefix } });
  const publisher = new ReplayRail({
    store: new RedisStreamStore({ client: publisherClient }),
    config: { streamPrefix },
  });
  const latencies: number[] = [];
  try {
    for (let channel = 0; channel < CHANNELS; channel++) {
      await rail.subscribe(`ch${channel}`, {
        from: 'latest',
        onEvent: (event) => latencies.push(performance.timeOrigin + performance.now() - (event.payload.t as number)),
      });
    }
    await sleep(300);
    let connections = 0;
    for (let n = 0; n < EVENTS; n++) {
      const channel = `ch${Math.floor(Math.random() * CHANNELS)}`;
      await publisher.publish({ channel, type: 't', payload: { t: performance.timeOrigin + performance.now() } });
      connections = Math.max(connections, store.blockingConnections);
      await sleep(10);
    }
    // Late events still count; lost ones would show in the deliveries.
    for (let wait = 0; wait < 100 && latencies.length < EVENTS; wait++) await sleep(50);
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
try {
  const results: Record<string, Round[]> = { shared: [], 'per-channel': [] };
  for (let index = 0; index < ROUNDS; index++) {
    for (const mode of index % 2 === 0 ? MODES : [...MODES].reverse()) {
      const result = await round(mode.share, index);
      console.error(
        `round ${index + 1} ${mode.key}: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.delivered}/${EVENTS}, ${result.connections} blocking connections`,
      );
      results[mode.key]?.push(result);
    }
  }
  const shared = results.shared ?? [];
  const perChannel = results['per-channel'] ?? [];
  const ms = (rounds: Round[], pick: (r: Round) => number) => median(rounds.map(pick)).toFixed(1);
  const server = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  const report = [
    '# Many channels: the shared blocking read against one read per channel',
    '',
    `${new Date().toISOString()} · Node ${process.version} · Redis ${server} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${gitCommit()}`,
    '',
    `${CHANNELS} channels with one subscriber each (\`rail.subscribe\`, RedisStreamStore on ioredis), ${EVENTS} events`,
    'published about every 10 ms to random channels from another connection; latency is publish to handler,',
    `median of ${ROUNDS} interleaved rounds.`,
    '',
    '| figure | shared XREAD (default) | one XREAD per channel, pool of 8 | shared ÷ per channel |',
    '| ------ | ---------------------: | -------------------------------: | -------------------: |',
    `| latency p50 (ms) | ${ms(shared, (r) => r.p50)} | ${ms(perChannel, (r) => r.p50)} | ${(median(shared.map((r) => r.p50)) / median(perChannel.map((r) => r.p50))).toFixed(3)} |`,
    `| latency p99 (ms) | ${ms(shared, (r) => r.p99)} | ${ms(perChannel, (r) => r.p99)} | ${(median(shared.map((r) => r.p99)) / median(perChannel.map((r) => r.p99))).toFixed(3)} |`,
    `| latency max (ms) | ${ms(shared, (r) => r.max)} | ${ms(perChannel, (r) => r.max)} | |`,
    `| events delivered within 5 s of the last publish (all rounds) | ${shared.reduce((sum, r) => sum + r.delivered, 0)} of ${EVENTS * ROUNDS} | ${perChannel.reduce((sum, r) => sum + r.delivered, 0)} of ${EVENTS * ROUNDS} | |`,
    `| blocking connections (most) | ${Math.max(...shared.map((r) => r.connections))} | ${Math.max(...perChannel.map((r) => r.connections))} | |`,
    '',
  ].join('\n');
  console.log(report);
  const dir = new URL('../results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('many-channels.md', dir), report);
} finally {
  const deleted = await deleteKeys(redis, PREFIX);
  console.error(`deleted ${deleted} keys under ${PREFIX}:*`);
  redis.disconnect();
}
