import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ReplayRail } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { describeWithRedisServer, type RedisServer, startRedisServer, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';

const support = join(import.meta.dirname, 'test-support');
const SERVERS = 3;
const CLIENTS = 2;
const CALLS_PER_CLIENT = 2_500;
const RATE = 150; // calls per second per client: about 17 s of calls
const TIMEOUT_MS = 10_000;
const KILLS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything it printed. */
  output(): string;
}

function start(script: string, args: string[], name: string, ready: string): Promise<Child> {
  const child = spawn(process.execPath, [join(support, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready: ${output}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) resolve({ name, child, output: () => output });
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', r));
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Calls between processes over a real Redis (docs/rpc.md, "Guarantees"): 3 server
// processes of one service, 2 client processes making 5,000 calls with deadlines;
// server processes killed with SIGKILL mid-handler 5 times and restarted; Redis
// frozen with SIGSTOP for 2 s once.
describeWithRedisServer('RPC under chaos', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  const children: Child[] = [];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    if (!existsSync(join(import.meta.dirname, '..', 'dist', 'index.js'))) {
      throw new Error('rpc is not built: run `pnpm build` first (the processes load dist/)');
    }
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url);
  }, 30_000);

  afterAll(async () => {
    for (const { child } of children) child.kill('SIGKILL');
    redis?.disconnect();
    await redisServer?.stop();
  });

  it('3 servers, 2 clients, 5,000 calls, 5 kills mid-handler, Redis stopped 2 s: every call ends once, nothing left behind', async () => {
    let generation = 0;
    const servers: Child[] = [];
    const startServer = async () => {
      const name = `server-${generation++}`;
      const server = await start('chaos-server.mjs', [redisServer.url, prefix, name], name, 'ready');
      children.push(server);
      servers.push(server);
    };
    for (let i = 0; i < SERVERS; i++) await startServer();

    const clients = Array.from({ length: CLIENTS }, (_, i) => {
      const name = `client-${i}`;
      const args = [redisServer.url, prefix, name, String(CALLS_PER_CLIENT), String(RATE), String(TIMEOUT_MS)];
      const child = spawn(process.execPath, [join(support, 'chaos-client.mjs'), ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      children.push({ name, child, output: () => output });
      return { child, output: () => output };
    });

    // Chaos while the calls flow: a server killed every 2.5 s (mid-handler: they are
    // always busy) and another started; Redis frozen once for 2 s.
    const kills: { pid: number; at: number }[] = [];
    let stall = { from: 0, to: 0 };
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(2_500);
      const victim = servers.splice(Math.floor(Math.random() * servers.length), 1)[0] as Child;
      victim.child.kill('SIGKILL');
      kills.push({ pid: victim.child.pid as number, at: Date.now() });
      await startServer();
      if (kill === 2) {
        stall = { from: Date.now(), to: 0 };
        redisServer.signal('SIGSTOP');
        await sleep(2_000);
        redisServer.signal('SIGCONT');
        stall.to = Date.now();
      }
    }

    const codes = await Promise.all(clients.map(({ child }) => exited(child)));
    expect(codes).toEqual([0, 0]);
    const reports = clients.map(({ output }) => JSON.parse(output().trim().split('\n').at(-1) as string));

    // Every call ended exactly once, with its own result or a typed timeout.
    for (const report of reports) {
      expect(report.endedOnce).toBe(CALLS_PER_CLIENT);
      expect(report.endedTwice).toBe(0);
      expect(report.wrongResults).toBe(0);
      expect(report.other).toEqual([]);
      expect(report.results + report.timeouts).toBe(CALLS_PER_CLIENT);
    }

    // The servers settle what is left (calls whose callers gave up are dropped unrun):
    // nothing pending, nothing dead, no reply stream left.
    const rail = new ReplayRail({ store: new RedisStreamStore({ client: redis }), config: { streamPrefix: prefix } });
    const group = rail.group('cmds:chaos', 'chaos');
    await until(async () => (await group.info())?.pending === 0, 'nothing pending', 60_000);
    expect((await group.info())?.deadLetters).toBe(0);
    expect(await redis.keys(`${prefix}:replies:*`)).toEqual([]);

    // Runs: which calls ran more than once, and whether each was in flight at a kill
    // (its first run on a process that was killed) or through the Redis stall.
    const runs = new Map<string, { pid: number; attempt: number; at: number }[]>();
    for (const line of await redis.lrange(`${prefix}:runs`, 0, -1)) {
      const [call, pid, attempt, at] = line.split(' ') as [string, string, string, string];
      runs.set(call, [...(runs.get(call) ?? []), { pid: Number(pid), attempt: Number(attempt), at: Number(at) }]);
    }
    const twice = [...runs.entries()].filter(([, list]) => list.length > 1);
    // At a kill: its first run on a process killed soon after (running, or handled and
    // its acknowledgement not yet written).
    const atKill = twice.filter(([, list]) => {
      const first = list[0] as { pid: number; at: number };
      const kill = kills.find((k) => k.pid === first.pid);
      return kill !== undefined && kill.at - first.at >= 0 && kill.at - first.at < 2_000;
    });
    // Through the stall: delivered before Redis froze, its run, answer or ack held up
    // past the claim idle time (2 s, chaos-server.mjs) and taken over by another process.
    const throughStall = twice.filter(([, list]) => {
      const first = list[0] as { pid: number; at: number };
      return first.at >= stall.from - 2_000 && first.at <= stall.to + 2_000;
    });
    const explained = new Set([...atKill, ...throughStall].map(([call]) => call));
    const unexplained = twice.filter(([call]) => !explained.has(call));
    const results = reports.reduce((sum, report) => sum + report.results, 0);
    const timeouts = reports.reduce((sum, report) => sum + report.timeouts, 0);
    console.log(
      `rpc chaos: ${CLIENTS * CALLS_PER_CLIENT} calls: ${results} results, ${timeouts} timeouts, 0 other; ` +
        `${runs.size} calls ran, ${twice.length} more than once (${atKill.length} in flight at one of the ${KILLS} kills, ` +
        `${throughStall.length} through the Redis stall)`,
    );
    expect(unexplained.map(([call, list]) => ({ call, list, kills, stall }))).toEqual([]);
    // The kills hit handlers in flight.
    expect(atKill.length).toBeGreaterThan(0);
    // A call that ran again was delivered again.
    expect(twice.filter(([, list]) => list.slice(1).some((run) => run.attempt < 2))).toEqual([]);

    for (const server of servers) server.child.kill('SIGTERM');
    expect(await Promise.all(servers.map(({ child }) => exited(child)))).toEqual(servers.map(() => 0));
  }, 180_000);
});
