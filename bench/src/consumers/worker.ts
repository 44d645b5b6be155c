/**
 * @module
 * A consumer benchmark worker: one process per contender, so its CPU time is its
 * own. On `run` it processes `count` events already waiting, with the contender's
 * consumer, and reports the wall time and the CPU time that took.
 *
 * - `rail`: `rail.consume` on the Redis store (ioredis), every option at its default
 *   but `concurrency` and `from: 'earliest'`.
 * - `raw`: the loop one writes with ioredis alone: `XREADGROUP COUNT 100`, decode
 *   each entry, run the handlers (at most `concurrency` at once), one `XACK` for the
 *   batch. No retries, dead letters, claims or recovery.
 * - `bullmq`: a BullMQ `Worker` on a queue holding the same events as jobs.
 */

import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { serve } from '../ipc.js';
import type { Job, RunArgs, RunResult, SetupArgs } from './shared.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let setup: SetupArgs | undefined;
let client: Redis | undefined;
let rail: ReplayRail | undefined;

// Wall time spent in jobs, to tell how long a 1 ms sleep really takes here.
let jobTime = 0;
let jobs = 0;

function jobOf(kind: Job): () => Promise<void> {
  if (kind === 'noop') return async () => {};
  return async () => {
    const started = performance.now();
    await sleep(1);
    jobTime += performance.now() - started;
    jobs++;
  };
}

// Measures one run: `work` resolves once `count` events were handled.
async function measure(work: (handled: () => void) => Promise<void>, count: number): Promise<RunResult> {
  let handled = 0;
  jobTime = 0;
  jobs = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const onHandled = (): void => {
    handled++;
    if (handled === count) done();
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const running = work(onHandled);
  await finished;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await running;
  return { ms, cpuUs: used.user + used.system, handled, jobMs: jobs === 0 ? 0 : jobTime / jobs };
}

async function runRail(args: RunArgs): Promise<RunResult> {
  const job = jobOf(args.job);
  let stop = async (): Promise<void> => {};
  return measure(async (handled) => {
    const consumer = (rail as ReplayRail).consume({
      channel: args.source,
      group: args.group,
      concurrency: args.concurrency,
      from: 'earliest',
      handler: async () => {
        await job();
        handled();
      },
      onError: (error) => console.error('rail consumer:', error),
    });
    stop = () => consumer.stop();
    await consumer.start();
  }, args.count).finally(() => stop());
}

function decode(id: string, raw: string[]): StoredEvent {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i] as string] = raw[i + 1] as string;
  return {
    id,
    event_id: fields.event_id as string,
    channel: fields.channel as string,
    type: fields.type as string,
    payload: JSON.parse(fields.payload as string),
    actor: JSON.parse(fields.actor as string),
    metadata: JSON.parse(fields.metadata as string),
    created_at: fields.created_at as string,
  };
}

async function runRaw(args: RunArgs): Promise<RunResult> {
  const { prefix, redisUrl } = setup as SetupArgs;
  const key = `${prefix}:${args.source}`;
  const redis = client as Redis;
  const reader = new Redis(redisUrl);
  const job = jobOf(args.job);
  try {
    await redis.xgroup('CREATE', key, args.group, '0');
    return await measure(async (handled) => {
      let left = args.count;
      while (left > 0) {
        const reply = (await reader.xreadgroup(
          'GROUP',
          args.group,
          'raw',
          'COUNT',
          100,
          'BLOCK',
          1000,
          'STREAMS',
          key,
          '>',
        )) as [string, [string, string[]][]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        // At most `concurrency` handlers at once over the batch.
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < entries.length) {
            const [id, fields] = entries[next++] as [string, string[]];
            decode(id, fields);
            await job();
            handled();
          }
        };
        await Promise.all(Array.from({ length: Math.min(args.concurrency, entries.length) }, lane));
        if (entries.length > 0) await redis.xack(key, args.group, ...entries.map(([id]) => id));
        left -= entries.length;
      }
    }, args.count);
  } finally {
    reader.disconnect();
  }
}

async function runBullmq(args: RunArgs): Promise<RunResult> {
  const { prefix, redisUrl } = setup as SetupArgs;
  const url = new URL(redisUrl);
  const job = jobOf(args.job);
  let worker: Worker | undefined;
  return measure(async (handled) => {
    worker = new Worker(
      args.source,
      async () => {
        await job();
        handled();
      },
      {
        connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
        prefix: `${prefix}:bull`,
        concurrency: args.concurrency,
        autorun: false,
      },
    );
    worker.on('error', (error) => console.error('bullmq worker:', error));
    void worker.run();
  }, args.count).finally(() => worker?.close());
}

serve(async (op, args) => {
  switch (op) {
    case 'setup': {
      setup = args as SetupArgs;
      client = new Redis(setup.redisUrl);
      rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: setup.prefix } });
      return null;
    }
    case 'run': {
      const run = args as RunArgs;
      if (run.contender === 'rail') return runRail(run);
      if (run.contender === 'raw') return runRaw(run);
      return runBullmq(run);
    }
    case 'stop': {
      await rail?.close();
      client?.disconnect();
      return null;
    }
    default:
      throw new Error(`unknown op ${op}`);
  }
});
