/**
 * @module
 * The one seam between the store and a Redis client: send a command (routed by
 * key in a cluster), make a separate connection for blocking reads, close what we
 * made. Small adapters fit ioredis (`Redis`, `Cluster`) and node-redis
 * (`createClient`, `createCluster`), so users keep the client they already run.
 */

import { ConfigError } from '@replayrail/core';

/** A Redis connection (or cluster client) as the store uses it. */
export interface RedisConnection {
  readonly kind: 'ioredis' | 'ioredis-cluster' | 'node-redis' | 'node-redis-cluster';
  readonly isCluster: boolean;
  /** Sends one command. `key` routes it to its slot's node in a cluster. */
  send(args: readonly string[], key?: string): Promise<unknown>;
  /** A new, separate connection with the same options, for blocking commands. */
  duplicate(): Promise<RedisConnection>;
  /** Closes the connection at once, failing what is in flight. */
  disconnect(): Promise<void>;
  /** Closes the connection after pending replies (for a client the user handed over). */
  quit(): Promise<void>;
}

// The parts of each client that the adapters use, typed structurally so this
// package needs neither client installed.
interface IoredisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
  pipeline(): {
    call(command: string, ...args: string[]): unknown;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  duplicate(): IoredisLike;
  disconnect(): void;
  quit(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  isCluster?: boolean;
}

interface NodeRedisClientLike {
  sendCommand(args: readonly string[]): Promise<unknown>;
  duplicate(): NodeRedisClientLike;
  connect(): Promise<unknown>;
  destroy(): void;
  close(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  isOpen: boolean;
}

interface NodeRedisClusterLike {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: readonly string[]): Promise<unknown>;
  duplicate(): NodeRedisClusterLike;
  connect(): Promise<unknown>;
  destroy(): void;
  close(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  masters: unknown;
  isOpen: boolean;
}

// Without a listener, a client's 'error' event would crash the process.
const ignore = (): void => {};

interface Queued {
  readonly args: string[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Sends the commands issued in one turn of the event loop as one pipeline: one
 * socket write instead of one per command, which is most of what a busy publisher
 * spends. (setImmediate, not a microtask: callers resumed by the same batch of
 * replies all get their next command into the next pipeline.) Order and
 * per-command results are kept. (node-redis does this by itself; ioredis only with
 * `enableAutoPipelining`, which most applications leave off.)
 */
function pipelined(client: IoredisLike): (args: readonly string[]) => Promise<unknown> {
  let queue: Queued[] = [];
  // Commands sent and not yet answered. With none, a command goes out at once:
  // waiting for company would only add latency to a lone caller.
  let inFlight = 0;
  const settled = (): void => {
    inFlight--;
  };
  const sendOne = (args: readonly string[]): Promise<unknown> => {
    inFlight++;
    const reply = client.call(args[0] as string, ...args.slice(1));
    reply.then(settled, settled);
    return reply;
  };
  const flush = (): void => {
    const batch = queue;
    queue = [];
    if (batch.length === 1) {
      const [only] = batch as [Queued];
      sendOne(only.args).then(only.resolve, only.reject);
      return;
    }
    inFlight += batch.length;
    try {
      const pipeline = client.pipeline();
      for (const queued of batch) pipeline.call(queued.args[0] as string, ...queued.args.slice(1));
      pipeline.exec().then(
        (results) => {
          inFlight -= batch.length;
          batch.forEach((queued, i) => {
            const [error, value] = results?.[i] ?? [new Error('pipeline returned no result'), undefined];
            if (error) queued.reject(error);
            else queued.resolve(value);
          });
        },
        (error: unknown) => {
          inFlight -= batch.length;
          for (const queued of batch) queued.reject(error);
        },
      );
    } catch (error) {
      inFlight -= batch.length;
      for (const queued of batch) queued.reject(error);
    }
  };
  return (args) => {
    if (inFlight === 0 && queue.length === 0) return sendOne(args);
    return new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ args: args as string[], resolve, reject });
    });
  };
}

function fromIoredis(client: IoredisLike): RedisConnection {
  const isCluster = client.isCluster === true;
  return {
    kind: isCluster ? 'ioredis-cluster' : 'ioredis',
    isCluster,
    // ioredis finds the keys of a command itself and routes it in a cluster; a
    // cluster pipeline must stay within one slot, so only standalone clients batch.
    send: isCluster ? (args) => client.call(args[0] as string, ...args.slice(1)) : pipelined(client),
    duplicate: async () => {
      const copy = client.duplicate();
      // A duplicate is ours alone; its errors surface through the commands we send.
      copy.on('error', ignore);
      return fromIoredis(copy);
    },
    disconnect: async () => client.disconnect(),
    quit: async () => void (await client.quit()),
  };
}

function fromNodeRedisClient(client: NodeRedisClientLike): RedisConnection {
  return {
    kind: 'node-redis',
    isCluster: false,
    send: (args) => client.sendCommand(args),
    duplicate: async () => {
      const copy = client.duplicate();
      copy.on('error', ignore);
      await copy.connect();
      return fromNodeRedisClient(copy);
    },
    disconnect: async () => {
      if (client.isOpen) client.destroy();
    },
    quit: async () => {
      if (client.isOpen) await client.close();
    },
  };
}

function fromNodeRedisCluster(cluster: NodeRedisClusterLike): RedisConnection {
  return {
    kind: 'node-redis-cluster',
    isCluster: true,
    send: (args, key) => cluster.sendCommand(key, false, args),
    duplicate: async () => {
      const copy = cluster.duplicate();
      copy.on('error', ignore);
      await copy.connect();
      return fromNodeRedisCluster(copy);
    },
    disconnect: async () => {
      if (cluster.isOpen) cluster.destroy();
    },
    quit: async () => {
      if (cluster.isOpen) await cluster.close();
    },
  };
}

function has(value: object, method: string): boolean {
  return typeof (value as Record<string, unknown>)[method] === 'function';
}

/**
 * Wraps a user's client: an ioredis `Redis` or `Cluster`, or a connected node-redis
 * client or cluster. Throws `ConfigError` for anything else.
 */
export function connectionFor(client: unknown): RedisConnection {
  if (typeof client === 'object' && client !== null) {
    if (has(client, 'call') && has(client, 'duplicate')) return fromIoredis(client as IoredisLike);
    if (has(client, 'sendCommand') && 'masters' in client) return fromNodeRedisCluster(client as NodeRedisClusterLike);
    if (has(client, 'sendCommand') && has(client, 'duplicate'))
      return fromNodeRedisClient(client as NodeRedisClientLike);
  }
  throw new ConfigError(
    'invalid RedisStreamStore option: client must be an ioredis Redis or Cluster, or a node-redis client or cluster',
    { context: { field: 'client' } },
  );
}
