// One consumer process of consumer-chaos.test.ts: rail.consume on RedisStreamStore
// over ioredis, concurrency 4, handlers of 1-20 ms. A handler records each run of an
// event in the sink hash (HINCRBY <prefix>:sink <event_id> 1) before it resolves, so
// the test counts completions and duplicate runs, and notes good events delivered
// more than once (reclaimed from a killed consumer); an event whose payload says
// `poison` always throws. Acknowledgements wait up to the default window (50 ms) or
// for <ack batch size> of them: a kill between a handler's end and that write runs
// the entry twice (a duplicate in the sink), never loses it.
// Arguments: <redis url> <stream prefix> <consumer name> <ack batch size>.
// Loads the built packages (dist/). Prints "ready" once consuming; SIGTERM stops it.
import { ReplayRail } from '@replayrail/core';
import { Redis } from 'ioredis';
import { RedisStreamStore } from '../../dist/index.js';

const [url, prefix, name, ackBatchSize] = process.argv.slice(2);
const client = new Redis(url, { connectionName: name, maxRetriesPerRequest: null });
client.on('error', () => {});
const rail = new ReplayRail({
  store: new RedisStreamStore({ client, commandTimeoutMs: 1_000 }),
  config: { streamPrefix: prefix, maxStreamLength: null },
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const consumer = rail.consume({
  channel: 'chaos',
  group: 'workers',
  consumer: name,
  from: 'earliest',
  concurrency: 4,
  maxDeliveries: 3,
  claimIdleMs: 5_000,
  removeIdleConsumersAfterMs: 3_000,
  blockMs: 500,
  ackBatchSize: Number(ackBatchSize),
  backoff: { initialMs: 20, maxMs: 200, jitter: 0.2 },
  handler: async (event, { attempt }) => {
    await sleep(1 + Math.floor(Math.random() * 20));
    if (event.payload.poison === true) throw new Error(`poison ${event.payload.n}`);
    // A good event delivered again was in flight where a consumer was killed.
    if (attempt > 1) await client.sadd(`${prefix}:reclaimed`, event.event_id);
    await client.hincrby(`${prefix}:sink`, event.event_id, 1);
  },
  onError: () => {},
});
await consumer.start();
console.log('ready');
process.on('SIGTERM', async () => {
  await consumer.stop({ graceMs: 2_000 });
  client.disconnect();
  process.exit(0);
});
