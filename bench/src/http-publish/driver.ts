/**
 * HTTP publish benchmark: `POST /events/<channel>` through `@replayrail/adapter-hono`
 * on `@hono/node-server`, driven by autocannon, against the same process calling
 * `rail.publish` directly (the ceiling: everything but HTTP), on the memory store
 * and on Redis (REDIS_URL, default 127.0.0.1:6379). The server runs in its own
 * process (server.js); autocannon runs here. Rounds interleave the two ways, so
 * machine noise hits both alike. Every key lives under a unique `rrhttp-<time>`
 * prefix and is deleted at the end. Results go to stdout and
 * bench/results/http-publish.md. Run: `pnpm bench:http`.
 */

import os from 'node:os';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { deleteKeys, gitCommit, int, median, writeResults } from '../common.js';
import { Child, children } from '../ipc.js';
import { type HttpStoreKind, publishBody, REDIS_URL } from './shared.js';

const PREFIX = `rrhttp-${Date.now()}`;
const ROUNDS = 3;
const CONNECTIONS = 50;
const DURATION_S = 5;
const STORES: readonly HttpStoreKind[] = ['memory', 'redis'];

interface Load {
  perSecond: number;
  p50: number;
  p99: number;
  cpuPerRequest: number;
  ok: number;
  failed: number;
}

interface Round {
  http: Load;
  baseline: Load;
  raw: { perSecond: number; cpuPerPublish: number };
}

async function round(store: HttpStoreKind, index: number, httpFirst: boolean): Promise<Round> {
  const server = new Child(`${store} server`, new URL('./server.js', import.meta.url));
  try {
    const port = await server.request<number>('start', { store, prefix: PREFIX });
    const channel = `bench:${store}:${index}`;
    const load = async (path: string): Promise<Load> => {
      await server.request('cpu-start');
      const result = await autocannon({
        url: `http://127.0.0.1:${port}/${path}/${channel}`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(publishBody()),
        connections: CONNECTIONS,
        duration: DURATION_S,
      });
      const cpu = await server.request<number>('cpu-stop');
      const ok = result['2xx'];
      return {
        perSecond: ok / (result.duration || DURATION_S),
        p50: result.latency.p50,
        p99: result.latency.p99,
        cpuPerRequest: cpu / Math.max(ok, 1),
        ok,
        failed: result.non2xx + result.errors + result.timeouts,
      };
    };
    const runRaw = async () => {
      // About as many publishes as HTTP managed, so both run for seconds.
      const count = 40_000;
      await server.request('cpu-start');
      const ms = await server.request<number>('raw', { count, concurrency: CONNECTIONS, channel }, 120_000);
      const cpu = await server.request<number>('cpu-stop');
      return { perSecond: count / (ms / 1000), cpuPerPublish: cpu / count };
    };
    let http: Load;
    let raw: Round['raw'];
    if (httpFirst) {
      http = await load('events');
      raw = await runRaw();
    } else {
      raw = await runRaw();
      http = await load('events');
    }
    const baseline = await load('baseline');
    console.error(
      `  ${store} round ${index + 1}: HTTP ${Math.round(http.perSecond)}/s (p99 ${http.p99} ms, ${http.failed} failed), rail.publish ${Math.round(raw.perSecond)}/s, bare Hono ${Math.round(baseline.perSecond)}/s`,
    );
    await server.request('stop');
    return { http, baseline, raw };
  } finally {
    await server.end();
  }
}

async function main(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const results: Record<HttpStoreKind, Round[]> = { memory: [], redis: [] };
    for (let index = 0; index < ROUNDS; index++) {
      for (const store of STORES) results[store].push(await round(store, index, index % 2 === 0));
    }
    const rows = [
      '| store | figure | HTTP `POST /events` | `rail.publish` | HTTP ÷ rail.publish | bare Hono POST | HTTP ÷ bare Hono |',
      '| ----- | ------ | ------------------: | -------------: | ------------------: | -------------: | ---------------: |',
    ];
    for (const store of STORES) {
      const rounds = results[store];
      const ratio = median(rounds.map((r) => r.http.perSecond / r.raw.perSecond));
      const m = (pick: (r: Round) => number) => median(rounds.map(pick));
      rows.push(
        `| ${store} | requests (events stored) per second | ${int(m((r) => r.http.perSecond))} | ${int(m((r) => r.raw.perSecond))} | ${ratio.toFixed(2)} | ${int(m((r) => r.baseline.perSecond))} | ${m((r) => r.http.perSecond / r.baseline.perSecond).toFixed(2)} |`,
        `| ${store} | server CPU µs per request | ${m((r) => r.http.cpuPerRequest).toFixed(1)} | ${m((r) => r.raw.cpuPerPublish).toFixed(1)} | ${m((r) => r.http.cpuPerRequest / r.raw.cpuPerPublish).toFixed(2)} | ${m((r) => r.baseline.cpuPerRequest).toFixed(1)} | ${m((r) => r.http.cpuPerRequest / r.baseline.cpuPerRequest).toFixed(2)} |`,
        `| ${store} | latency p50 / p99 (ms) | ${m((r) => r.http.p50)} / ${m((r) => r.http.p99)} | | | ${m((r) => r.baseline.p50)} / ${m((r) => r.baseline.p99)} | |`,
        `| ${store} | responses not 201 (all rounds) | ${rounds.reduce((sum, r) => sum + r.http.failed, 0)} of ${int(rounds.reduce((sum, r) => sum + r.http.ok + r.http.failed, 0))} | | | ${rounds.reduce((sum, r) => sum + r.baseline.failed, 0)} | |`,
      );
    }
    const server = (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
    const commit = gitCommit();
    const report = [
      '# HTTP publish benchmark: adapter-hono vs rail.publish',
      '',
      `${new Date().toISOString()} · Node ${process.version} · Redis ${server} on ${new URL(REDIS_URL).host} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'} · commit ${commit}`,
      '',
      `\`POST /events/<channel>\` with a 250-byte order through \`@replayrail/adapter-hono\` on \`@hono/node-server\`,`,
      `driven by autocannon (${CONNECTIONS} connections, ${DURATION_S} s, in the driver process), against the same server process`,
      `calling \`rail.publish\` directly with ${CONNECTIONS} concurrent publishers (everything but HTTP: validation, encoding, the store),`,
      'and a bare Hono route in the same server that reads and parses the same body and answers 201 (the HTTP stack alone).',
      `${ROUNDS} rounds per store, alternating which goes first; medians of rounds, ratios the median of paired rounds.`,
      "CPU is the server process's user + system time divided by the events it stored. 2 cores shared by Redis,",
      'autocannon and the server.',
      '',
      ...rows,
      '',
    ].join('\n');
    console.log(report);
    await writeResults('http-publish.md', report);
  } finally {
    const deleted = await deleteKeys(redis, PREFIX);
    console.error(`deleted ${deleted} keys under ${PREFIX}:*`);
    redis.disconnect();
    for (const child of children) child.kill();
  }
}

await main();
