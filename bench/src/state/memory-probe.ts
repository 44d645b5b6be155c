/**
 * @module
 * The state benchmark's memory probe: a fresh process per measurement, so its
 * resident set starts from nothing the other readers left behind (V8 rarely gives
 * memory back). On `measure` it reads the state once as a program would, sampling
 * `heapUsed` and RSS at every page, then once more calling `gc()` before each
 * sample: what the reader holds at its pages, without the garbage not yet
 * collected. Growth is over a baseline taken after `gc()`, before the first read.
 */

import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { serve } from '../ipc.js';
import { type Reader, readState, type StateSource } from './readers.js';
import { KEYED_POLICY, type MemoryArgs, type MemoryResult, type ProbeSetup } from './shared.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const collect = gc;

let client: Redis | undefined;
let rail: ReplayRail | undefined;
let store: RedisStreamStore | undefined;
let prefix = '';

function source(channel: string): StateSource {
  if (client === undefined || rail === undefined || store === undefined) throw new Error('setup first');
  return { client, rail, channel, hash: store.stateKeys({ prefix, channel }).values };
}

async function measure(args: MemoryArgs): Promise<MemoryResult> {
  const from = source(args.channel);
  const reader: Reader = args.reader;
  collect();
  const base = process.memoryUsage();
  let heap = base.heapUsed;
  let rss = base.rss;
  const keys = await readState(from, reader, args.pageSize, () => {
    const now = process.memoryUsage();
    heap = Math.max(heap, now.heapUsed);
    rss = Math.max(rss, now.rss);
  });
  if (args.once === true) return { keys, pages: 0, heap: heap - base.heapUsed, rss: rss - base.rss, live: 0 };
  collect();
  const liveBase = process.memoryUsage().heapUsed;
  let live = liveBase;
  let pages = 0;
  await readState(from, reader, args.pageSize, () => {
    pages++;
    collect();
    live = Math.max(live, process.memoryUsage().heapUsed);
  });
  return { keys, pages, heap: heap - base.heapUsed, rss: rss - base.rss, live: live - liveBase };
}

serve(async (op, args) => {
  switch (op) {
    case 'setup': {
      const setup = args as ProbeSetup;
      prefix = setup.prefix;
      client = new Redis(setup.redisUrl, { maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      store = new RedisStreamStore({ client });
      rail = new ReplayRail({ store, config: { streamPrefix: prefix, channels: [KEYED_POLICY] } });
      await client.ping();
      return null;
    }
    case 'measure':
      return measure(args as MemoryArgs);
    case 'stop':
      await rail?.close();
      client?.disconnect();
      return null;
    default:
      throw new Error(`unknown op ${op}`);
  }
});
