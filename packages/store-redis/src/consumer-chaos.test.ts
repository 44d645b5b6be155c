import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ReplayRail } from '@replayrail/core';
import { describeWithRedisServer, type RedisServer, startRedisServer, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStreamStore } from './redis-store.js';

const script = join(import.meta.dirname, 'test-support', 'consumer-worker.mjs');
const WORKERS = 3;
const EVENTS = 5_000;
const RATE = 500; // events per second: 10 s of publishing
const KILLS = 5;
const MAX_DELIVERIES = 3;
const CONCURRENCY = 4; // the worker's
const ACK_BATCH = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Worker {
  readonly name: string;
  readonly child: ChildProcess;
}

function startWorker(url: string, prefix: string, name: string): Promise<Worker> {
  const child = spawn(process.execPath, [script, url, prefix, name, String(ACK_BATCH)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready: ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve({ name, child });
    });
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Durable consumers (docs/architecture.md, "Consumers") with real processes and a real Redis: consumers killed with SIGKILL in
// the middle of their handlers and restarted, Redis frozen with SIGSTOP for 2 s.
describeWithRedisServer('durable consumers under chaos', () => {
  let server: RedisServer;
  let redis: Redis;
  const workers: Worker[] = [];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    if (!existsSync(join(import.meta.dirname, '..', 'dist', 'index.js'))) {
      throw new Error('store-redis is not built: run `pnpm build` first (the consumer processes load dist/)');
    }
    server = await startRedisServer();
    redis = new Redis(server.url);
  }, 30_000);

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    redis?.disconnect();
    await server?.stop();
  });

  it('3 processes × concurrency 4, 5 kills mid-handler, Redis stopped 2 s: nothing lost, poison dead after exactly maxDeliveries', async () => {
    const rail = new ReplayRail({
      store: new RedisStreamStore({ client: redis }),
      config: { streamPrefix: prefix, maxStreamLength: null },
    });
    let generation = 0;
    const spawnWorker = async () => {
      const worker = await startWorker(server.url, prefix, `worker-${generation++}`);
      workers.push(worker);
      return worker;
    };
    for (let i = 0; i < WORKERS; i++) await spawnWorker();

    const published: { id: string; poison: boolean }[] = [];
    const publishing = (async () => {
      const started = Date.now();
      for (let n = 0; n < EVENTS; n++) {
        const due = started + (n * 1_000) / RATE;
        if (due > Date.now()) await sleep(due - Date.now());
        const poison = n % 100 === 50;
        const event = await rail.publish({ channel: 'chaos', type: 'job', payload: { n, poison } });
        published.push({ id: event.event_id, poison });
      }
    })();

    // Chaos while the events flow: a kill every 1.5 s, Redis frozen once for 2 s.
    const killed: string[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(1_500);
      const victim = workers.splice(Math.floor(Math.random() * workers.length), 1)[0] as Worker;
      victim.child.kill('SIGKILL');
      killed.push(victim.name);
      await spawnWorker();
      if (kill === 2) {
        server.signal('SIGSTOP');
        await sleep(2_000);
        server.signal('SIGCONT');
      }
    }
    await publishing;

    const poison = published.filter((event) => event.poison).map((event) => event.id);
    const good = published.filter((event) => !event.poison).map((event) => event.id);
    const sink = async () => (await redis.hgetall(`${prefix}:sink`)) as Record<string, string>;
    await until(
      async () => {
        const runs = await sink();
        const dead = await rail.group('chaos', 'workers').deadLetters({ limit: 1_000 });
        const info = await rail.group('chaos', 'workers').info();
        return good.every((id) => runs[id] !== undefined) && dead.length === poison.length && info?.pending === 0;
      },
      'every event handled or dead, nothing pending',
      60_000,
    );
    const runs = await sink();
    const duplicates = Object.values(runs).filter((count) => Number(count) > 1).length;
    const dead = await rail.group('chaos', 'workers').deadLetters({ limit: 1_000 });
    const reclaimed = await redis.scard(`${prefix}:reclaimed`);
    console.log(
      `chaos: ${good.length} events handled, 0 lost; ${reclaimed} were in flight at the ${KILLS} kills and reclaimed, ${duplicates} of them had finished (their acknowledgement not yet written) and ran twice; ${dead.length} poison events dead`,
    );
    // The kills hit handlers in flight: their entries were taken over by the others.
    expect(reclaimed).toBeGreaterThan(0);
    // Every good event ran; none was dead-lettered. A second run only for what a kill
    // caught between its handler's end and its acknowledgement: per kill, at most the
    // handlers finishing then, the acknowledgements waiting (below a batch) and those of
    // the write in flight (a batch or so).
    expect(good.filter((id) => runs[id] === undefined)).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(KILLS * (CONCURRENCY + 2 * ACK_BATCH));
    expect(dead.map((letter) => letter.event?.event_id).sort()).toEqual([...poison].sort());
    expect(
      dead
        .filter((letter) => letter.attempts !== MAX_DELIVERIES)
        .map((letter) => [letter.origin, letter.attempts, letter.errorMessage]),
    ).toEqual([]);
    expect(dead.every((letter) => letter.errorMessage.startsWith('poison'))).toBe(true);
    // The killed consumers, once their entries were reclaimed, are removed from the group.
    const live = new Set(workers.map((worker) => worker.name));
    await until(
      async () => {
        const consumers = (await rail.group('chaos', 'workers').info())?.consumers ?? [];
        return consumers.every((consumer) => live.has(consumer.name) || consumer.pending > 0);
      },
      'the dead consumers removed',
      20_000,
    );
    const consumers = (await rail.group('chaos', 'workers').info())?.consumers ?? [];
    expect(consumers.filter((consumer) => killed.includes(consumer.name))).toEqual([]);
  }, 120_000);
});
