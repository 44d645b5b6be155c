import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import type { AdminCommands } from './harness.js';

/** An admin connection on ioredis (standalone or cluster), for harness commands and cleanup. */
export function ioredisAdmin(client: Redis | Cluster): AdminCommands {
  return {
    send: (args) => client.call(args[0] as string, ...args.slice(1)),
    keys: async (pattern) => {
      const nodes = client instanceof Cluster ? client.nodes('master') : [client];
      const found: string[] = [];
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          found.push(...batch);
          cursor = next;
        } while (cursor !== '0');
      }
      return found;
    },
    close: async () => void (await client.quit()),
  };
}

export function newIoredis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

export function newIoredisCluster(nodes: readonly { host: string; port: number }[]): Cluster {
  return new Cluster([...nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
}

export async function newNodeRedis(url: string) {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

export async function newNodeRedisCluster(nodes: readonly { host: string; port: number }[]) {
  const cluster = createCluster({ rootNodes: nodes.map((node) => ({ url: `redis://${node.host}:${node.port}` })) });
  cluster.on('error', () => {});
  await cluster.connect();
  return cluster;
}

type ClusterNodes = readonly { host: string; port: number }[];

/**
 * A cluster client of each library with its default options (their own retries and
 * redirections), and how to let go of it: what the topology tests run each scenario on.
 */
export const CLUSTER_LIBRARIES = {
  'ioredis Cluster': async (nodes: ClusterNodes) => {
    const client = new Cluster([...nodes]);
    return { client, close: async () => client.disconnect() };
  },
  'node-redis createCluster': async (nodes: ClusterNodes) => {
    const client = createCluster({ rootNodes: nodes.map((node) => ({ url: `redis://${node.host}:${node.port}` })) });
    client.on('error', () => {});
    await client.connect();
    return { client, close: async () => client.destroy() };
  },
} as const;

/** The names of `CLUSTER_LIBRARIES`, for `it.each`. */
export const clusterLibraries = Object.keys(CLUSTER_LIBRARIES) as (keyof typeof CLUSTER_LIBRARIES)[];
