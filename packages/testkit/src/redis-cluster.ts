import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { type RedisServer, startRedisServer } from './redis-server.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Redis Cluster started by this test run on loopback ports. */
export interface RedisCluster {
  /** Every node, primaries and replicas, as started. */
  readonly nodes: readonly RedisServer[];
  /** `{ host, port }` of each node, for cluster clients. */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** The node serving `slot` now, as the cluster's live nodes see it. */
  ownerOf(slot: number): Promise<RedisServer>;
  /** Kills the node serving `slot` (SIGKILL) and resolves once a replica serves it, with the new owner. */
  failOver(slot: number): Promise<RedisServer>;
  /**
   * Moves `slot` and its keys to `target` as `redis-cli --cluster reshard` does:
   * IMPORTING on the target, MIGRATING on the source, MIGRATE of the keys in
   * batches (`between` runs after each), then SETSLOT NODE on every primary.
   */
  migrateSlot(slot: number, target: RedisServer, between?: () => Promise<void>): Promise<void>;
  /** The primaries, as the cluster's live nodes see them now. */
  primaries(): Promise<RedisServer[]>;
  /** The replicas of `primary` (INFO replication). */
  replicasOf(primary: RedisServer): Promise<RedisServer[]>;
  stop(): Promise<void>;
}

interface SlotOwner {
  readonly from: number;
  readonly to: number;
  readonly port: number;
}

/**
 * Starts `masters` cluster-enabled `redis-server`s, each with `replicas` replicas,
 * joins them with `redis-cli --cluster create`, and waits until every node reports
 * `cluster_state:ok` and every replica is in sync.
 */
export async function startRedisCluster(masters = 3, replicas = 0): Promise<RedisCluster> {
  const nodes = await Promise.all(
    Array.from({ length: masters * (1 + replicas) }, () =>
      startRedisServer([
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '2000',
      ]),
    ),
  );
  const alive = new Set(nodes);
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  const admin = (node: RedisServer) => {
    const client = new Redis(node.url, { maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: false });
    client.on('error', () => {});
    return client;
  };
  const ask = async <T>(node: RedisServer, work: (client: Redis) => Promise<T>): Promise<T> => {
    const client = admin(node);
    try {
      return await work(client);
    } finally {
      client.disconnect();
    }
  };
  const byPort = (port: number) => nodes.find((node) => node.port === port) as RedisServer;
  const slotOwners = async (): Promise<SlotOwner[]> => {
    for (const node of alive) {
      try {
        const reply = (await ask(node, (client) => client.call('CLUSTER', 'SLOTS'))) as [
          number,
          number,
          [string, number],
        ][];
        return reply.map(([from, to, [, port]]) => ({ from, to, port }));
      } catch {
        // that node is down: ask another
      }
    }
    throw new Error('no live cluster node answered CLUSTER SLOTS');
  };
  const ownerOf = async (slot: number): Promise<RedisServer> => {
    const owner = (await slotOwners()).find((range) => range.from <= slot && slot <= range.to);
    if (owner === undefined) throw new Error(`no node serves slot ${slot}`);
    return byPort(owner.port);
  };
  const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`cluster: ${what} did not happen within ${timeoutMs} ms`);
      await sleep(100);
    }
  };
  try {
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await waitUntil('cluster_state:ok on every node', async () => {
      for (const node of nodes) {
        if (!/cluster_state:ok/.test(await ask(node, (client) => client.cluster('INFO')))) return false;
      }
      return true;
    });
    if (replicas > 0) {
      await waitUntil('every replica in sync', async () => {
        for (const node of nodes) {
          const info = await ask(node, (client) => client.info('replication'));
          if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return false;
        }
        return true;
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const nodeId = (node: RedisServer) => ask(node, (client) => client.call('CLUSTER', 'MYID')) as Promise<string>;
  const primaries = async () => [...new Set((await slotOwners()).map((range) => range.port))].map(byPort);
  return {
    nodes,
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    ownerOf,
    primaries,
    async replicasOf(primary) {
      const replicas: RedisServer[] = [];
      for (const node of alive) {
        const info = await ask(node, (client) => client.info('replication')).catch(() => '');
        if (new RegExp(`master_port:${primary.port}\\b`).test(info)) replicas.push(node);
      }
      return replicas;
    },
    async failOver(slot) {
      const old = await ownerOf(slot);
      old.signal('SIGKILL');
      alive.delete(old);
      await waitUntil(`a replica taking over slot ${slot}`, async () => {
        const owner = await ownerOf(slot);
        if (owner === old) return false;
        return /cluster_state:ok/.test(await ask(owner, (client) => client.cluster('INFO')));
      });
      return ownerOf(slot);
    },
    async migrateSlot(slot, target, between) {
      const source = await ownerOf(slot);
      if (source === target) return;
      const [sourceId, targetId] = await Promise.all([nodeId(source), nodeId(target)]);
      await ask(target, (client) => client.call('CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId));
      await ask(source, (client) => client.call('CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId));
      for (;;) {
        const keys = (await ask(source, (client) =>
          client.call('CLUSTER', 'GETKEYSINSLOT', String(slot), '10'),
        )) as string[];
        if (keys.length === 0) break;
        await ask(source, (client) =>
          client.call('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', ...keys),
        );
        await between?.();
      }
      for (const node of await primaries()) {
        await ask(node, (client) => client.call('CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId));
      }
      await waitUntil(`slot ${slot} served by its new node everywhere`, async () => (await ownerOf(slot)) === target);
    },
    stop,
  };
}
