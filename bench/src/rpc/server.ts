/**
 * @module
 * An RPC benchmark server process: serves `bench.add` until told to stop, and
 * reports its own CPU time between two `cpu` requests.
 *
 * - `rail`: `RpcServer` on the Redis store (ioredis), `concurrency: 64` (the raw
 *   loop answers a whole read at once, so the rail's server may too).
 * - `raw`: `XREAD BLOCK … COUNT 100` on the command stream, parse each envelope, add,
 *   `XADD` each reply (`MAXLEN ~ 1024`) to its `reply-to` without waiting for the one
 *   before. No consumer group: no acknowledgements, claims, retries, dead letters,
 *   deadlines or validation.
 */

import { ReplayRail } from '@replayrail/core';
import { RpcServer } from '@replayrail/rpc';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { serve } from '../ipc.js';
import { benchContract, type SetupArgs } from './shared.js';

let stop: () => Promise<void> = async () => {};
let cpuMark = process.cpuUsage();

async function startRail({ redisUrl, prefix }: SetupArgs): Promise<void> {
  const client = new Redis(redisUrl);
  const rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: prefix } });
  const server = new RpcServer({ rail }).serve(
    benchContract,
    { add: ({ a, b }) => ({ sum: a + b }) },
    { concurrency: 64 },
  );
  await server.start();
  stop = async () => {
    await server.stop();
    await rail.close();
    client.disconnect();
  };
}

async function startRaw({ redisUrl, prefix }: SetupArgs): Promise<void> {
  const reader = new Redis(redisUrl);
  const writer = new Redis(redisUrl);
  const commands = `${prefix}:raw:cmds:bench`;
  let running = true;
  let last = '$';
  const loop = (async () => {
    while (running) {
      const read = await reader.xread('COUNT', 100, 'BLOCK', 1_000, 'STREAMS', commands, last);
      for (const [, entries] of read ?? []) {
        const writes: Promise<unknown>[] = [];
        for (const [id, fields] of entries) {
          last = id;
          const field = (name: string) => fields[fields.indexOf(name) + 1] as string;
          const request = JSON.parse(field('envelope')) as { id: string; params: { a: number; b: number } };
          const envelope = JSON.stringify({
            jsonrpc: '2.0',
            id: request.id,
            result: { sum: request.params.a + request.params.b },
          });
          writes.push(writer.xadd(field('reply-to'), 'MAXLEN', '~', 1024, '*', 'type', 'rpc', 'envelope', envelope));
        }
        await Promise.all(writes);
      }
    }
  })();
  stop = async () => {
    running = false;
    await loop;
    reader.disconnect();
    writer.disconnect();
  };
}

serve(async (op, args) => {
  if (op === 'setup') {
    const setup = args as SetupArgs;
    await (setup.contender === 'rail' ? startRail(setup) : startRaw(setup));
  } else if (op === 'cpu') {
    // The CPU time since the last `cpu` request, in µs.
    const used = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    return used.user + used.system;
  } else if (op === 'stop') {
    await stop();
  }
  return null;
});
