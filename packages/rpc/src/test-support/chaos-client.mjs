// One client process of chaos.test.ts: RpcClient on RedisStreamStore over ioredis,
// <count> calls at <rate> per second, each with a deadline of <timeout> ms. Counts
// how each call ended (a result naming this very call, a typed timeout, anything
// else) and how many times, then stops (its reply stream is deleted) and prints
// the counts as one JSON line. Arguments: <redis url> <stream prefix> <name> <count>
// <rate> <timeout ms>. Loads the built packages (dist/).
import { isReplayRailError, ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Redis } from 'ioredis';
import { RpcClient } from '../../dist/index.js';
import { chaosContract } from './chaos-contract.mjs';

const [url, prefix, name, count, rate, timeoutMs] = process.argv.slice(2);
const client = new Redis(url, { connectionName: name, maxRetriesPerRequest: null });
client.on('error', () => {});
const rail = new ReplayRail({ store: new RedisStreamStore({ client }), config: { streamPrefix: prefix } });
const rpc = new RpcClient({ rail, instanceId: name, onError: () => {} });
await rpc.start();
const chaos = rpc.proxy(chaosContract);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const endings = new Array(Number(count)).fill(0);
const counts = { results: 0, timeouts: 0, wrongResults: 0, other: [] };
const calls = [];
const started = Date.now();
for (let n = 0; n < Number(count); n++) {
  const due = started + (n * 1_000) / Number(rate);
  if (due > Date.now()) await sleep(due - Date.now());
  // 5-40 ms: each server has a few calls in flight most of the time, so a kill hits some.
  const sleepMs = 5 + Math.floor(Math.random() * 36);
  calls.push(
    chaos.work({ caller: name, n, sleepMs }, { timeoutMs: Number(timeoutMs) }).then(
      (result) => {
        endings[n]++;
        if (result.caller === name && result.n === n) counts.results++;
        else counts.wrongResults++;
      },
      (error) => {
        endings[n]++;
        if (isReplayRailError(error, 'rpc_timeout')) counts.timeouts++;
        else counts.other.push(`${error?.code ?? error?.name}: ${error?.message}`);
      },
    ),
  );
}
await Promise.all(calls);
await rpc.stop();
await rail.close();
client.disconnect();
console.log(
  JSON.stringify({
    ...counts,
    endedOnce: endings.filter((times) => times === 1).length,
    endedTwice: endings.filter((times) => times > 1).length,
  }),
);
