/**
 * @module
 * An RPC benchmark client process: on `run`, `count` calls of `bench.add` with
 * `inFlight` at a time; reports the wall time, its CPU time and each round trip.
 *
 * - `rail`: `RpcClient` on the Redis store (ioredis), through its typed proxy
 *   (params and result checked with zod, a deadline on each call).
 * - `raw`: `XADD` the command (the same fields) and wait for its reply, read by one
 *   `XREAD BLOCK` loop on the client's reply stream and matched by id. No timeout,
 *   no validation, no trace context.
 */

import { randomUUID } from 'node:crypto';
import { ReplayRail } from '@replayrail/core';
import { RpcClient } from '@replayrail/rpc';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { serve } from '../ipc.js';
import { benchContract, type RunArgs, type RunResult, type SetupArgs } from './shared.js';

type Call = (n: number) => Promise<number>;
let call: Call = async () => 0;
let stop: () => Promise<void> = async () => {};

async function startRail({ redisUrl, prefix }: SetupArgs): Promise<void> {
  const client = new Redis(redisUrl);
  const rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: prefix } });
  const rpc = new RpcClient({ rail });
  await rpc.start();
  const bench = rpc.proxy(benchContract);
  call = async (n) => (await bench.add({ a: n, b: 1 })).sum;
  stop = async () => {
    await rpc.stop();
    await rail.close();
    client.disconnect();
  };
}

async function startRaw({ redisUrl, prefix }: SetupArgs): Promise<void> {
  const reader = new Redis(redisUrl);
  const writer = new Redis(redisUrl);
  const commands = `${prefix}:raw:cmds:bench`;
  const replies = `${prefix}:raw:replies:${randomUUID()}`;
  const waiting = new Map<string, (sum: number) => void>();
  let running = true;
  let last = '0-0';
  const loop = (async () => {
    while (running) {
      const read = await reader.xread('COUNT', 100, 'BLOCK', 1_000, 'STREAMS', replies, last);
      for (const [, entries] of read ?? []) {
        for (const [id, fields] of entries) {
          last = id;
          const reply = JSON.parse(fields[fields.indexOf('envelope') + 1] as string) as {
            id: string;
            result: { sum: number };
          };
          waiting.get(reply.id)?.(reply.result.sum);
          waiting.delete(reply.id);
        }
      }
    }
  })();
  call = (n) =>
    new Promise((resolve, reject) => {
      const id = randomUUID();
      waiting.set(id, resolve);
      const envelope = JSON.stringify({ jsonrpc: '2.0', method: 'bench.add', params: { a: n, b: 1 }, id });
      writer.xadd(commands, '*', 'type', 'rpc', 'envelope', envelope, 'reply-to', replies).catch(reject);
    });
  stop = async () => {
    running = false;
    await loop;
    await writer.del(replies);
    reader.disconnect();
    writer.disconnect();
  };
}

async function run({ count, inFlight }: RunArgs): Promise<RunResult> {
  const latencies: number[] = [];
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < count) {
      const n = issued++;
      const started = performance.now();
      const sum = await call(n);
      latencies.push(performance.now() - started);
      if (sum !== n + 1) throw new Error(`call ${n} answered ${sum}`);
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, cpuUs: used.user + used.system, latencies: latencies.sort((a, b) => a - b) };
}

serve(async (op, args) => {
  if (op === 'setup') {
    const setup = args as SetupArgs;
    await (setup.contender === 'rail' ? startRail(setup) : startRaw(setup));
  } else if (op === 'run') {
    return run(args as RunArgs);
  } else if (op === 'stop') {
    await stop();
  }
  return null;
});
