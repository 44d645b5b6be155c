/**
 * @module
 * Wake-ups by sharded pub/sub (`wakeups: 'pubsub'`, the default on a cluster of
 * Redis 7.0 or later): how a feed waits on a Redis Cluster without a connection
 * per channel. Every append also `SPUBLISH`es the new ID on the
 * channel's wake channel (`<stream key>:wake`, in the stream's slot thanks to the
 * hash tag; scripts.ts). Each process holds one subscriber connection per primary
 * serving a watched channel, whatever the number of channels, and a message bumps
 * the channel's generation, which wakes its waits. A wake-up is only a hint: the
 * woken read goes through the expiry-checked page, so a late, spurious or lost
 * wake-up can delay an event, never lose or repeat one.
 *
 * The rule that makes it exact: a reader takes the generation (after its
 * subscription is acknowledged), then reads its page, then waits for a later
 * generation. An append before the page read is in the page; one after it
 * publishes a wake-up that raises the generation, whether it arrives before the
 * wait begins or during it. When a subscriber connection is lost, or its node
 * stops serving a channel's slot (a failover, a migration), every channel it
 * served gets a new generation at once, so its readers read again (what was
 * appended meanwhile is in the stream), and subscribes again where the topology
 * (`CLUSTER SLOTS`) now says. A wait that hears nothing returns after its
 * `blockMs` anyway: the bounded re-read that covers a wake-up lost some other way.
 */

import { StoreUnavailableError } from '@replayrail/core/errors';
import calculateSlot from 'cluster-key-slot';
import type { NodeAddress, RedisConnection, ShardSubscriber } from './connection.js';
import type { Wait, Wakeups } from './wakeups.js';

/** The shard channel an append to `key` publishes its wake-up on. */
export function wakeChannel(key: string): string {
  return `${key}:wake`;
}

// One subscriber connection, to one node (or to the one server).
interface NodeSubscription {
  readonly id: string;
  readonly address: NodeAddress | undefined;
  readonly subscriber: Promise<ShardSubscriber>;
  /** The keys whose wake channel it is subscribed to. */
  readonly keys: Set<string>;
  gone: boolean;
}

// One watched stream key.
interface Watch {
  readonly key: string;
  readonly channel: string;
  generation: number;
  readonly waiters: Set<() => void>;
  /** Settles once its wake channel is subscribed where its slot lives; undefined: not (any more). */
  ready: Promise<NodeSubscription> | undefined;
  lastWatched: number;
}

interface SlotRange {
  readonly from: number;
  readonly to: number;
  readonly address: NodeAddress;
}

/** How long a key may go unwatched before its wake channel is unsubscribed. */
const IDLE_MS = 60_000;
/** Attempts to subscribe where the topology says, refreshing it when a node answers MOVED. */
const SUBSCRIBE_ATTEMPTS = 3;

function nodeId(address: NodeAddress | undefined): string {
  return address === undefined ? 'server' : `${address.host}:${address.port}`;
}

/** The slot ranges of `CLUSTER SLOTS`: `[[from, to, [host, port, id], replica…], …]`. */
export function slotRanges(reply: unknown): SlotRange[] {
  if (!Array.isArray(reply)) return [];
  const ranges: SlotRange[] = [];
  for (const entry of reply) {
    if (!Array.isArray(entry) || !Array.isArray(entry[2])) continue;
    const [host, port] = entry[2] as [unknown, unknown];
    ranges.push({
      from: Number(entry[0]),
      to: Number(entry[1]),
      address: { host: String(host), port: Number(port) },
    });
  }
  return ranges;
}

export class ShardWakeups implements Wakeups {
  readonly publishes = true;
  readonly #connection: RedisConnection;
  readonly #watches = new Map<string, Watch>();
  readonly #byChannel = new Map<string, Watch>();
  readonly #nodes = new Map<string, NodeSubscription>();
  readonly #sweep: ReturnType<typeof setInterval>;
  #slots: Promise<SlotRange[]> | undefined;
  #closed: unknown;

  constructor(connection: RedisConnection) {
    this.#connection = connection;
    this.#sweep = setInterval(() => this.#dropIdle(), IDLE_MS / 2);
    this.#sweep.unref?.();
  }

  /** Subscriber connections open now (one per node serving a watched channel). */
  get subscriberConnections(): number {
    return this.#nodes.size;
  }

  /**
   * Subscribes `key`'s wake channel where its slot lives (once; later calls are
   * free) and takes its generation after the subscription is acknowledged: the
   * wait it returns ends at a later generation (`after` is not needed).
   */
  async watch(key: string): Promise<Wait> {
    if (this.#closed !== undefined) throw this.#closed;
    let watch = this.#watches.get(key);
    if (watch === undefined) {
      watch = { key, channel: wakeChannel(key), generation: 0, waiters: new Set(), ready: undefined, lastWatched: 0 };
      this.#watches.set(key, watch);
      this.#byChannel.set(watch.channel, watch);
    }
    watch.lastWatched = Date.now();
    if (watch.ready === undefined) {
      const ready = this.#subscribe(watch);
      watch.ready = ready;
      // A failed subscription is tried again by the next watch.
      ready.catch(() => {
        if (watch.ready === ready) watch.ready = undefined;
      });
    }
    await watch.ready;
    const generation = watch.generation;
    return (_after, blockMs, signal) => this.#wait(key, generation, blockMs, signal);
  }

  // Resolves once `key`'s generation is past `generation`, or after `blockMs`; rejects when `signal` aborts.
  #wait(key: string, generation: number, blockMs: number, signal: AbortSignal | undefined): Promise<void> {
    const watch = this.#watches.get(key);
    if (watch === undefined || watch.generation !== generation) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const cleanUp = (): void => {
        clearTimeout(timer);
        watch.waiters.delete(done);
        signal?.removeEventListener('abort', aborted);
      };
      const done = (): void => {
        cleanUp();
        resolve();
      };
      const aborted = (): void => {
        cleanUp();
        reject(signal?.reason);
      };
      const timer = setTimeout(done, blockMs);
      if (signal?.aborted) return aborted();
      signal?.addEventListener('abort', aborted, { once: true });
      watch.waiters.add(done);
    });
  }

  /** Stops: closes every subscriber connection; waits end, later watches fail with `error`. */
  close(error: unknown): void {
    this.#closed = error;
    clearInterval(this.#sweep);
    for (const node of [...this.#nodes.values()]) this.#drop(node);
    for (const watch of this.#watches.values()) this.#wake(watch);
    this.#watches.clear();
    this.#byChannel.clear();
  }

  #wake(watch: Watch): void {
    watch.generation++;
    for (const waiter of [...watch.waiters]) waiter();
  }

  async #subscribe(watch: Watch): Promise<NodeSubscription> {
    for (let attempt = 1; ; attempt++) {
      const address = this.#connection.isCluster ? await this.#owner(watch.key) : undefined;
      const node = this.#node(address);
      try {
        await (await node.subscriber).subscribe(watch.channel);
        if (node.gone || this.#closed !== undefined) throw new StoreUnavailableError('the wake-up connection closed');
        node.keys.add(watch.key);
        return node;
      } catch (error) {
        // MOVED: the topology changed under us. Look it up again and go where it says.
        this.#slots = undefined;
        if (attempt >= SUBSCRIBE_ATTEMPTS || this.#closed !== undefined) {
          throw new StoreUnavailableError(`could not subscribe to the wake-ups of ${watch.key}`, {
            cause: error,
            context: { operation: 'SSUBSCRIBE', key: watch.key },
          });
        }
      }
    }
  }

  // The primary serving the key's slot, from a cached CLUSTER SLOTS.
  async #owner(key: string): Promise<NodeAddress> {
    const slot = calculateSlot(key);
    for (let attempt = 0; attempt < 2; attempt++) {
      this.#slots ??= this.#connection.send(['CLUSTER', 'SLOTS']).then(slotRanges);
      const slots = this.#slots;
      let ranges: SlotRange[];
      try {
        ranges = await slots;
      } catch (error) {
        if (this.#slots === slots) this.#slots = undefined;
        throw new StoreUnavailableError('CLUSTER SLOTS failed', {
          cause: error,
          context: { operation: 'CLUSTER SLOTS' },
        });
      }
      const range = ranges.find((candidate) => candidate.from <= slot && slot <= candidate.to);
      if (range !== undefined) return range.address;
      if (this.#slots === slots) this.#slots = undefined; // a slot nobody serves: mid-failover, ask again
    }
    throw new StoreUnavailableError(`no node of the cluster serves slot ${slot}`, { context: { key, slot } });
  }

  // The subscriber connection to a node, made on first use and shared by every key it serves.
  #node(address: NodeAddress | undefined): NodeSubscription {
    const id = nodeId(address);
    const existing = this.#nodes.get(id);
    if (existing !== undefined) return existing;
    const node: NodeSubscription = { id, address, keys: new Set(), gone: false, subscriber: undefined as never };
    const subscriber = this.#connection.shardSubscriber(address, {
      message: (channel) => {
        const watch = this.#byChannel.get(channel);
        if (watch !== undefined) this.#wake(watch);
      },
      moved: () => this.#lose(node),
      lost: () => this.#lose(node),
    });
    (node as { subscriber: Promise<ShardSubscriber> }).subscriber = subscriber;
    subscriber.catch(() => this.#lose(node));
    this.#nodes.set(id, node);
    return node;
  }

  // A node connection is gone, or its node stopped serving one of its slots: every
  // key it served reads again now (anything appended meanwhile is in the stream)
  // and subscribes again wherever the topology now says.
  #lose(node: NodeSubscription): void {
    if (node.gone) return;
    this.#drop(node);
    this.#slots = undefined;
    for (const key of node.keys) {
      const watch = this.#watches.get(key);
      if (watch === undefined) continue;
      watch.ready = undefined;
      this.#wake(watch);
    }
  }

  #drop(node: NodeSubscription): void {
    node.gone = true;
    if (this.#nodes.get(node.id) === node) this.#nodes.delete(node.id);
    node.subscriber.then(
      (subscriber) => subscriber.close(),
      () => {},
    );
  }

  // Unsubscribes keys nobody watched for a while, and closes nodes left with none.
  #dropIdle(): void {
    const before = Date.now() - IDLE_MS;
    for (const watch of [...this.#watches.values()]) {
      if (watch.lastWatched > before || watch.waiters.size > 0) continue;
      this.#watches.delete(watch.key);
      this.#byChannel.delete(watch.channel);
      for (const node of this.#nodes.values()) {
        if (!node.keys.delete(watch.key)) continue;
        node.subscriber.then(
          (subscriber) => subscriber.unsubscribe(watch.channel).catch(() => {}),
          () => {},
        );
        if (node.keys.size === 0) this.#drop(node);
      }
    }
  }
}
