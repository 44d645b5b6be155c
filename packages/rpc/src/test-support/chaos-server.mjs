// One server process of chaos.test.ts: RpcServer on RedisStreamStore over ioredis,
// concurrency 4, handlers of 5-40 ms (the caller says). Each run of a handler is recorded before it
// sleeps (RPUSH <prefix>:runs "<caller>:<n> <pid> <attempt> <ms>"), so the test finds
// every call that ran more than once and which process ran it first.
// Arguments: <redis url> <stream prefix> <instance id>. Loads the built packages
// (dist/). Prints "ready" once serving; SIGTERM stops it.
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { RpcServer } from '../../dist/index.js';
import { chaosContract } from './chaos-contract.mjs';

const [url, prefix, instanceId] = process.argv.slice(2);
const client = new Redis(url, { connectionName: instanceId, maxRetriesPerRequest: null });
client.on('error', () => {});
const rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: prefix } });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const server = new RpcServer({ rail, instanceId, onError: () => {} }).serve(
  chaosContract,
  {
    work: async ({ caller, n, sleepMs }, { attempt }) => {
      await client.rpush(`${prefix}:runs`, `${caller}:${n} ${process.pid} ${attempt} ${Date.now()}`);
      await sleep(sleepMs);
      return { caller, n };
    },
  },
  // A call hit by two kills still ends with its result, not in the dead letters.
  { concurrency: 4, claimIdleMs: 2_000, maxAttempts: 5 },
);
await server.start();
console.log('ready');
process.on('SIGTERM', async () => {
  await server.stop({ graceMs: 2_000 });
  await rail.close();
  client.disconnect();
  process.exit(0);
});
