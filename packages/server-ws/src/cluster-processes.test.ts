import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compareCursors, ReplayRail, type StoredEvent } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import {
  connect,
  describeWithRedisServer,
  type RedisCluster,
  startRedisCluster,
  type TestSocket,
  uniquePrefix,
} from '@replayrail/testkit';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';

const script = join(import.meta.dirname, 'test-support', 'cluster-server.mjs');
const PROCESSES = 3;
const CHANNELS = 150;
const EVENTS = 1_200;

function startServer(
  name: string,
  prefix: string,
  cluster: RedisCluster,
): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(join(import.meta.dirname, '..', 'dist', 'index.js'))) {
    throw new Error('server-ws is not built: run `pnpm build` first (the server processes load dist/)');
  }
  const child = spawn(process.execPath, [script, name, prefix, JSON.stringify(cluster.startupNodes)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /port (\d+)/.exec(output)?.[1];
      if (port !== undefined) resolve({ child, url: `ws://127.0.0.1:${port}/ws` });
    });
  });
}

// One read path per channel (docs/architecture.md, "Live fanout and wake-ups") across processes: several server processes on one cluster, each on a
// fixed set of connections, their clients getting every event once, in order.
describeWithRedisServer('server-ws processes on one Redis Cluster', () => {
  let cluster: RedisCluster;
  const servers: { child: ChildProcess; url: string }[] = [];
  const prefix = uniquePrefix();
  beforeAll(async () => {
    cluster = await startRedisCluster(3, 0);
    for (let i = 0; i < PROCESSES; i++) servers.push(await startServer(`rr-proc-${i}`, prefix, cluster));
  }, 90_000);
  afterAll(async () => {
    for (const { child } of servers) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await cluster?.stop();
  });

  it(`${PROCESSES} processes, ${CHANNELS} channels with a client on each: every event once, in order`, async () => {
    const sockets: { channel: string; socket: TestSocket }[] = [];
    for (let c = 0; c < CHANNELS; c++) {
      for (const { url } of servers) sockets.push({ channel: `p-${c}`, socket: connect(`${url}/p-${c}?from=latest`) });
    }
    await Promise.all(sockets.map(({ socket }) => socket.opened));
    const client = new Cluster([...cluster.startupNodes]);
    const publisher = new ReplayRail({
      store: new RedisStreamStore({ client }),
      config: { streamPrefix: prefix, maxStreamLength: null },
    });
    const published = new Map<string, StoredEvent[]>();
    try {
      for (let n = 0; n < EVENTS; n += 20) {
        const batch = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            publisher.publish({ channel: `p-${(n + i * 7) % CHANNELS}`, type: 't', payload: { n: n + i } }),
          ),
        );
        for (const event of batch) published.set(event.channel, [...(published.get(event.channel) ?? []), event]);
      }
      for (const { channel, socket } of sockets) {
        const expected = (published.get(channel) ?? []).sort((a, b) => compareCursors(a.id, b.id));
        await socket.until((frames) => frames.length >= expected.length, `${channel}'s ${expected.length} events`);
        expect(socket.json()).toEqual(expected);
      }
      // Each process holds its client's connections and one wake-up connection per
      // primary: as many as the nodes, not the channels.
      for (let i = 0; i < PROCESSES; i++) {
        let clientConnections = 0;
        let wakeups = 0;
        for (const node of await cluster.primaries()) {
          const admin = new Redis(node.url);
          const list = ((await admin.client('LIST')) as string).split('\n');
          admin.disconnect();
          clientConnections += list.filter((line) => line.includes(` name=rr-proc-${i} `)).length;
          wakeups += list.filter((line) => line.includes(` name=rr-proc-${i}:wakeups `)).length;
        }
        expect({ process: i, clientConnections, wakeups }).toEqual({ process: i, clientConnections: 3, wakeups: 3 });
      }
    } finally {
      for (const { socket } of sockets) socket.ws.close();
      await publisher.close();
      client.disconnect();
    }
  }, 120_000);
});
