/**
 * @module
 * The `wakeups` option of `RedisStreamStore`: which way live reads wait
 * (wakeups.ts), checked when the store is made and decided once. The package
 * README ("Live reads") says what each value costs and promises.
 */

import { choiceOption, optionError } from '@replayrail/core/store';
import type { BlockingPool } from './blocking-pool.js';
import type { RedisConnection } from './connection.js';
import { OwnXread } from './own-xread.js';
import { ShardWakeups } from './shard-wakeups.js';
import { StreamWatcher } from './stream-watcher.js';
import type { RunBlocking, Wakeups } from './wakeups.js';

/** The ways to wait, and `'auto'`, which picks one for the deployment. */
export type WakeupsOption = 'auto' | 'shared-xread' | 'pubsub' | 'own-xread';
type Way = Exclude<WakeupsOption, 'auto'>;

const OWNER = 'RedisStreamStore';
const CHOICES: readonly WakeupsOption[] = ['auto', 'shared-xread', 'pubsub', 'own-xread'];

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * The `wakeups` option, checked. What it replaced fails naming the new spelling:
 * `shareBlockingReads`, and `wakeups: 'xread'`, which meant a shared XREAD on one
 * server but an XREAD per wait on a cluster.
 */
export function wakeupsOption(
  options: { readonly wakeups?: unknown; readonly shareBlockingReads?: unknown },
  isCluster: boolean,
): WakeupsOption {
  if (options.shareBlockingReads !== undefined) {
    throw optionError(
      OWNER,
      'shareBlockingReads',
      `is replaced by wakeups: 'shared-xread' (true) or 'own-xread' (false), got ${shown(options.shareBlockingReads)}`,
    );
  }
  if (options.wakeups === 'xread') {
    throw optionError(
      OWNER,
      'wakeups',
      `no longer takes 'xread': use 'shared-xread' (one XREAD for every channel) or 'own-xread' (an XREAD per wait), got "xread"`,
    );
  }
  const choice = choiceOption(OWNER, 'wakeups', options.wakeups, CHOICES, 'auto');
  if (choice === 'shared-xread' && isCluster) {
    throw optionError(
      OWNER,
      'wakeups',
      `cannot share one XREAD on a cluster (an XREAD cannot span slots): use 'pubsub' or 'own-xread', got "shared-xread"`,
    );
  }
  return choice;
}

/**
 * The way `choice` waits on this deployment. Where that depends on whether the
 * server has sharded pub/sub (Redis 7.0 added it), that is, for `'pubsub'` and for
 * `'auto'` on a cluster, it is undefined until `shardedPubsub` is known; asked
 * for without it, `'pubsub'` fails.
 */
export function wayToWait(choice: WakeupsOption, isCluster: boolean): Way | undefined;
export function wayToWait(choice: WakeupsOption, isCluster: boolean, shardedPubsub: boolean): Way;
export function wayToWait(choice: WakeupsOption, isCluster: boolean, shardedPubsub?: boolean): Way | undefined {
  if (choice === 'shared-xread' || choice === 'own-xread') return choice;
  if (choice === 'auto' && !isCluster) return 'shared-xread';
  if (shardedPubsub === undefined) return undefined;
  if (shardedPubsub) return 'pubsub';
  if (choice === 'pubsub') {
    throw optionError(OWNER, 'wakeups', `needs Redis 7.0 or later for 'pubsub' (sharded pub/sub), got "pubsub"`);
  }
  return 'own-xread';
}

/** What the wake-ups need of the store: its client, its pool of blocking connections, its deadlines. */
export interface WakeupsDeps {
  readonly connection: RedisConnection;
  readonly pool: BlockingPool;
  readonly run: RunBlocking;
}

function makeWakeups(way: Way, { connection, pool, run }: WakeupsDeps): Wakeups {
  if (way === 'shared-xread') return new StreamWatcher(pool, connection, run);
  if (way === 'pubsub') return new ShardWakeups(connection);
  return new OwnXread(pool, run);
}

/**
 * A store's wake-ups, made once: with the store where the option and the
 * deployment decide, else by the first read or append that needs them, after
 * asking the server whether it has sharded pub/sub (`COMMAND INFO SSUBSCRIBE` is
 * nil before Redis 7.0). An unreachable server is asked again next time; an
 * option the server cannot serve fails every time.
 */
export class ChosenWakeups {
  readonly #choice: WakeupsOption;
  readonly #deps: WakeupsDeps;
  #wakeups: Wakeups | undefined;
  #asking: Promise<Wakeups> | undefined;
  #closed: unknown;

  constructor(choice: WakeupsOption, deps: WakeupsDeps) {
    this.#choice = choice;
    this.#deps = deps;
    const way = wayToWait(choice, deps.connection.isCluster);
    if (way !== undefined) this.#wakeups = makeWakeups(way, deps);
  }

  /** The wake-ups, if made already. */
  get now(): Wakeups | undefined {
    return this.#wakeups;
  }

  /** The wake-ups, made on first need. */
  get(): Promise<Wakeups> {
    if (this.#wakeups !== undefined) return Promise.resolve(this.#wakeups);
    const { connection, run } = this.#deps;
    this.#asking ??= run(connection.send(['COMMAND', 'INFO', 'SSUBSCRIBE']), 'COMMAND INFO', 0, {}).then(
      (reply) => {
        const shardedPubsub = Array.isArray(reply) && reply[0] !== null && reply[0] !== undefined;
        const wakeups = makeWakeups(wayToWait(this.#choice, connection.isCluster, shardedPubsub), this.#deps);
        // Closed while asking: nothing may wait on them any more.
        if (this.#closed !== undefined) wakeups.close(this.#closed);
        this.#wakeups = wakeups;
        return wakeups;
      },
      (error: unknown) => {
        this.#asking = undefined;
        throw error;
      },
    );
    return this.#asking;
  }

  /** Ends every wait with `error` (the store is closing). */
  close(error: unknown): void {
    this.#closed = error;
    this.#wakeups?.close(error);
  }
}
