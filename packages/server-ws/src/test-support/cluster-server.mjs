// One of several server processes on one Redis Cluster, for cluster-processes.test.ts:
// server-ws on RedisStreamStore over an ioredis Cluster named <name> (CLIENT LIST).
// Arguments: <name> <stream prefix> <startup nodes as JSON>. Loads the built
// packages (dist/). Prints "port <n>" once listening; stops when stdin closes.
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { Cluster } from 'ioredis';
import { ReplayRailWebSocketServer } from '../../dist/index.js';

const [name, prefix, nodes] = process.argv.slice(2);
const client = new Cluster(JSON.parse(nodes), { redisOptions: { connectionName: name } });
const rail = new ReplayRail({
  store: new RedisStreamStore({ client }),
  config: { streamPrefix: prefix, maxStreamLength: null },
});
const server = new ReplayRailWebSocketServer({ rail });
console.log(`port ${await server.listen(0)}`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.close();
  await rail.close();
  client.disconnect();
  process.exit(0);
});
