/**
 * @module
 * The one seam between the store and a Redis client: send a command (routed by
 * key in a cluster), make a separate connection for blocking reads, close what we
 * made. Small adapters fit ioredis (`Redis`, `Cluster`) and node-redis
 * (`createClient`, `createCluster`), so users keep the client they already run.
 */

import { optionError } from '@replayrail/core/store';

/** Where a node listens. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** What a shard subscriber tells its owner. */
export interface ShardSubscriberEvents {
  /** A message on a shard channel. */
  message(channel: string, message: string): void;
  /** The node no longer serves a subscribed channel's slot (a migration, a failover): look again. */
  moved(): void;
  /** The connection is gone for good (it does not reconnect by itself). */
  lost(): void;
}

/** A connection of the store's own in subscriber mode, for sharded pub/sub on one node. */
export interface ShardSubscriber {
  /** Subscribes to one shard channel (one SSUBSCRIBE each: channels of different slots may not share one). */
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Closes it at once. */
  close(): void;
}

/** A Redis connection (or cluster client) as the store uses it. */
export interface RedisConnection {
  readonly kind: 'ioredis' | 'ioredis-cluster' | 'node-redis' | 'node-redis-cluster';
  readonly isCluster: boolean;
  /** Sends one command. `key` routes it to its slot's node in a cluster. */
  send(args: readonly string[], key?: string): Promise<unknown>;
  /**
   * Sends commands as one transaction (`MULTI` … `EXEC`) to `key`'s node: they run
   * together, nothing of anyone else's between them. Resolves to each command's
   * reply, or the `Error` it ran into; rejects when the transaction did not run
   * (`EXECABORT`, a slot that moved, the connection).
   */
  transaction(commands: readonly (readonly string[])[], key: string): Promise<unknown[]>;
  /** A new, separate connection with the same options, for blocking commands. */
  duplicate(): Promise<RedisConnection>;
  /** Closes the connection at once, failing what is in flight. */
  disconnect(): Promise<void>;
  /** Closes the connection after pending replies (for a client the user handed over). */
  quit(): Promise<void>;
  /**
   * A new connection in subscriber mode, with the client's options (credentials,
   * TLS): to the node at `address` in a cluster, to the server otherwise. It does
   * not reconnect or resubscribe by itself: its owner decides where to go next.
   * Named `<the client's name>:wakeups` (`replayrail:wakeups` for a client without
   * one), so an operator can tell whose it is in CLIENT LIST.
   */
  shardSubscriber(address: NodeAddress | undefined, events: ShardSubscriberEvents): Promise<ShardSubscriber>;
}

// The parts of each client that the adapters use, typed structurally so this
// package needs neither client installed.
/** The name of a store's subscriber connections, after its client's. */
function subscriberName(clientName: unknown): string {
  return `${typeof clientName === 'string' && clientName !== '' ? clientName : 'replayrail'}:wakeups`;
}

interface IoredisLike {
  readonly options?: { connectionName?: string };
  call(command: string, ...args: string[]): Promise<unknown>;
  pipeline(): {
    call(command: string, ...args: string[]): unknown;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  multi(): {
    call(command: string, ...args: string[]): unknown;
    exec(): Promise<[Error | null, unknown][] | null>;
  };
  duplicate(override?: Record<string, unknown>): IoredisLike;
  disconnect(): void;
  quit(): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  isCluster?: boolean;
  /** A cluster's node connections (standalone clients with the cluster's options). */
  nodes?(role?: 'all' | 'master' | 'slave'): IoredisLike[];
  ssubscribe?(channel: string): Promise<unknown>;
  sunsubscribe?(channel: string): Promise<unknown>;
}

/** A node-redis transaction being built (`client.multi()`, `cluster.multi(key)`). */
interface NodeRedisMultiLike {
  exec(): Promise<unknown[]>;
}

interface NodeRedisClientLike {
  sendCommand(args: readonly string[]): Promise<unknown>;
  multi(): NodeRedisMultiLike & { addCommand(args: readonly string[]): unknown };
  duplicate(overrides?: Record<string, unknown>): NodeRedisClientLike;
  connect(): Promise<unknown>;
  destroy(): void;
  close(): Promise<unknown>;
  on(event: string, listener: (...args: never[]) => void): unknown;
  isOpen: boolean;
  readonly options?: { socket?: Record<string, unknown>; name?: string };
  sSubscribe?(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
  sUnsubscribe?(channel: string): Promise<void>;
}

interface NodeRedisClusterLike {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: readonly string[]): Promise<unknown>;
  multi(routing: string): NodeRedisMultiLike & {
    addCommand(firstKey: string, isReadonly: boolean, args: readonly string[]): unknown;
  };
  duplicate(): NodeRedisClusterLike;
  connect(): Promise<unknown>;
  destroy(): void;
  close(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  masters: readonly { host: string; port: number }[];
  nodeClient(node: { host: string; port: number }): Promise<NodeRedisClientLike>;
  isOpen: boolean;
}

/** An ioredis transaction's `EXEC` replies: each reply, or the error its command ran into. */
async function ioredisTransaction(client: IoredisLike, commands: readonly (readonly string[])[]): Promise<unknown[]> {
  const multi = client.multi();
  for (const args of commands) multi.call(args[0] as string, ...args.slice(1));
  const replies = await multi.exec();
  if (replies === null) throw new Error('EXECABORT the transaction was discarded');
  return replies.map(([error, reply]) => error ?? reply);
}

/**
 * A node-redis transaction's `EXEC` replies: node-redis rejects the whole of it
 * when one command failed (`MultiErrorReply`, which holds every reply, errors in place).
 */
async function nodeRedisTransaction(multi: NodeRedisMultiLike): Promise<unknown[]> {
  try {
    return await multi.exec();
  } catch (error) {
    const replies = (error as { replies?: unknown }).replies;
    if (Array.isArray(replies) && Array.isArray((error as { errorIndexes?: unknown }).errorIndexes)) return replies;
    throw error;
  }
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

/** An ioredis connection (standalone, or one node of a cluster) as a shard subscriber. */
async function ioredisSubscriber(
  source: IoredisLike,
  override: Record<string, unknown>,
  events: ShardSubscriberEvents,
): Promise<ShardSubscriber> {
  // No reconnection and no automatic resubscription: after a failover the node may
  // serve other slots, so the owner looks the topology up again instead.
  const sub = source.duplicate({
    ...override,
    connectionName: subscriberName(source.options?.connectionName),
    lazyConnect: false,
    retryStrategy: () => null,
    autoResubscribe: false,
    maxRetriesPerRequest: 0,
  });
  sub.on('error', ignore);
  sub.on('smessage', (channel: string, message: string) => events.message(channel, message));
  // Unsolicited `sunsubscribe` (the slot moved) and MOVED replies to SSUBSCRIBE.
  sub.on('moved', () => events.moved());
  sub.on('end', () => events.lost());
  return {
    subscribe: async (channel) => void (await (sub.ssubscribe as (channel: string) => Promise<unknown>)(channel)),
    unsubscribe: async (channel) => void (await (sub.sunsubscribe as (channel: string) => Promise<unknown>)(channel)),
    close: () => sub.disconnect(),
  };
}

/** A node-redis client as a shard subscriber (connected, not reconnecting). */
async function nodeRedisSubscriber(
  source: NodeRedisClientLike,
  socket: Record<string, unknown>,
  events: ShardSubscriberEvents,
): Promise<ShardSubscriber> {
  const sub = source.duplicate({
    name: subscriberName(source.options?.name),
    socket: { ...source.options?.socket, ...socket, reconnectStrategy: false },
  });
  sub.on('error', ignore);
  sub.on('sharded-channel-moved', () => events.moved());
  sub.on('end', () => events.lost());
  await sub.connect();
  const listener = (message: string, channel: string): void => events.message(channel, message);
  return {
    subscribe: (channel) => (sub.sSubscribe as NonNullable<typeof sub.sSubscribe>)(channel, listener),
    unsubscribe: (channel) => (sub.sUnsubscribe as NonNullable<typeof sub.sUnsubscribe>)(channel),
    close: () => {
      if (sub.isOpen) sub.destroy();
    },
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
    // (A cluster's transaction goes to its first key's node; ioredis finds it.)
    transaction: (commands) => ioredisTransaction(client, commands),
    duplicate: async () => {
      const copy = client.duplicate();
      // A duplicate is ours alone; its errors surface through the commands we send.
      copy.on('error', ignore);
      return fromIoredis(copy);
    },
    disconnect: async () => client.disconnect(),
    quit: async () => void (await client.quit()),
    shardSubscriber: async (address, events) => {
      if (!isCluster) return ioredisSubscriber(client, {}, events);
      // Any node's connection carries the cluster's options (credentials, TLS); pointed elsewhere.
      const node = client.nodes?.('master')[0] ?? client.nodes?.('all')[0];
      if (node === undefined) throw new Error('the cluster client knows no node yet');
      return ioredisSubscriber(node, { host: address?.host, port: address?.port }, events);
    },
  };
}

function fromNodeRedisClient(client: NodeRedisClientLike): RedisConnection {
  return {
    kind: 'node-redis',
    isCluster: false,
    send: (args) => client.sendCommand(args),
    transaction: (commands) => {
      const multi = client.multi();
      for (const args of commands) multi.addCommand(args);
      return nodeRedisTransaction(multi);
    },
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
    shardSubscriber: (_address, events) => nodeRedisSubscriber(client, {}, events),
  };
}

function fromNodeRedisCluster(cluster: NodeRedisClusterLike): RedisConnection {
  return {
    kind: 'node-redis-cluster',
    isCluster: true,
    send: (args, key) => cluster.sendCommand(key, false, args),
    transaction: (commands, key) => {
      const multi = cluster.multi(key);
      for (const args of commands) multi.addCommand(key, false, args);
      return nodeRedisTransaction(multi);
    },
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
    shardSubscriber: async (address, events) => {
      // A node client of the cluster carries its options (credentials, TLS); pointed at `address`.
      const known = cluster.masters.find((node) => node.host === address?.host && node.port === address?.port);
      const source = await cluster.nodeClient(known ?? (cluster.masters[0] as { host: string; port: number }));
      return nodeRedisSubscriber(source, { host: address?.host, port: address?.port }, events);
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
  throw optionError(
    'RedisStreamStore',
    'client',
    'must be an ioredis Redis or Cluster, or a node-redis client or cluster',
  );
}
