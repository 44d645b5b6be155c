// The steps of a fork on Redis (redis-durable-forks.ts), each failing where it can:
// what a failure after the source counted the fork undoes (the claim on the fork's
// path, the source's count), what an abandoned claim leaves to its lease, and a
// count of a fork that no longer exists. The store-level behaviour every store shares
// is in the conformance suite (packages/core/src/testing/durable-forks.ts).

import type { DurableStreamRef, DurableStreamStore } from '@replayrail/core/store';
import { durableCreateOf, durableForkOf } from '@replayrail/core/testing';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FORK_PAGE, FORK_WRITE } from './durable-fork-scripts.js';
import { durableStreamKeys } from './durable-stream-keys.js';
import { RedisStreamStore } from './redis-store.js';
import type { Script } from './scripts.js';
import { newIoredis } from './test-support/clients.js';

type Hook = (args: string[]) => Promise<void> | void;

const KEEP_ALL = { maxLength: null, maxAgeMs: null };

// `client`, running `hook` before each command the store sends on its own (the fork's
// steps are sent one at a time, so each goes out through `call`).
function hookedClient(client: Redis, hook: Hook): Redis {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'call') {
        return async (...args: string[]) => {
          await hook(args);
          return target.call(args[0] as string, ...args.slice(1));
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const runs = (args: readonly string[], script: Script) =>
  (args[0] === 'EVALSHA' && args[1] === script.sha) || (args[0] === 'EVAL' && args[1] === script.source);

describeWithRedis('forks on Redis, step by step', (url) => {
  let client: Redis;
  let admin: Redis;
  let prefix: string;
  let hook: Hook;
  let store: RedisStreamStore;
  let streams: DurableStreamStore;
  const ref = (path: string): DurableStreamRef => ({ prefix, path });

  // A source of 600 messages: the copy takes three pages (256 each).
  async function longSource(path: string): Promise<DurableStreamRef> {
    const source = ref(path);
    await streams.create(source, durableCreateOf());
    for (let n = 0; n < 600; n += 100) {
      const messages = Array.from({ length: 100 }, (_, k) => ({ data: String(n + k), base64: false }));
      await streams.append(source, {
        retention: KEEP_ALL,
        messages,
        contentType: 'application/json',
        close: false,
        streamSeq: null,
        producer: null,
      });
    }
    return source;
  }

  // Nothing of the fork is left, and the source does not count it: it is deleted outright.
  async function expectUndone(fork: DurableStreamRef, source: DurableStreamRef): Promise<void> {
    const keys = durableStreamKeys(fork);
    expect(await admin.exists(keys.messages, keys.info)).toBe(0);
    expect(await admin.hlen(durableStreamKeys(source).forks)).toBe(0);
    expect(await streams.delete(source)).toBe(true);
    expect(await streams.info(source)).toBeNull();
  }

  beforeEach(() => {
    prefix = uniquePrefix('rrfork');
    client = newIoredis(url);
    admin = newIoredis(url);
    hook = () => {};
    store = new RedisStreamStore({ client: hookedClient(client, (args) => hook(args)) });
    streams = store.durableStreams;
  });

  afterEach(async () => {
    await store.close();
    await client.quit();
    await deleteKeysUnder(admin, prefix);
    await admin.quit();
  });

  it('answers source-trimmed when retention trims the source mid-copy, and undoes the claim and the count', async () => {
    const source = await longSource('/steps/trimmed');
    hook = async (args) => {
      if (!runs(args, FORK_PAGE)) return;
      hook = () => {};
      await admin.xtrim(durableStreamKeys(source).messages, 'MAXLEN', 10);
    };
    const fork = ref('/steps/trimmed-fork');
    expect(await streams.fork(fork, durableForkOf(source.path))).toEqual({ kind: 'source-trimmed' });
    await expectUndone(fork, source);
  });

  it('undoes the claim and the count when a step fails', async () => {
    const source = await longSource('/steps/failing');
    let writes = 0;
    hook = (args) => {
      if (runs(args, FORK_WRITE) && ++writes === 2) throw new Error('connection lost');
    };
    const fork = ref('/steps/failing-fork');
    await expect(streams.fork(fork, durableForkOf(source.path))).rejects.toThrow('connection lost');
    hook = () => {};
    await expectUndone(fork, source);
  });

  it('answers source-deleted when the source is deleted mid-copy; the fork being copied kept it a tombstone till then', async () => {
    const source = await longSource('/steps/deleted');
    hook = async (args) => {
      if (!runs(args, FORK_PAGE)) return;
      hook = () => {};
      // Counted while it is copied: the delete leaves a tombstone, not nothing.
      expect(await streams.delete(source)).toBe(true);
      expect(await admin.hget(durableStreamKeys(source).info, 'del')).toBe('1');
    };
    const fork = ref('/steps/deleted-fork');
    expect(await streams.fork(fork, durableForkOf(source.path))).toEqual({ kind: 'source-deleted' });
    // The undo released the tombstone's one fork: it went.
    const keys = durableStreamKeys(source);
    expect(await admin.exists(keys.info, keys.forks)).toBe(0);
    expect(await streams.info(fork)).toBeNull();
  });

  it('waits while another fork is copied in at a path, and takes it once that claim lapses', async () => {
    const path = ref('/steps/claimed');
    const info = durableStreamKeys(path).info;
    // A claim whose fork crashed mid-copy: found by nothing, freed by its lease.
    await admin.hset(info, 'pending', 'crashed');
    // Taken before the lease is set, so the create cannot come sooner than the lease
    // allows however slow this machine is (a lower bound only).
    const started = Date.now();
    await admin.pexpire(info, 300);
    expect(await streams.info(path)).toBeNull();
    expect(await streams.delete(path)).toBe(false);
    expect((await streams.create(path, durableCreateOf())).kind).toBe('created');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('does not let a counted fork that no longer exists keep its source', async () => {
    const source = ref('/steps/ghosted');
    await streams.create(source, durableCreateOf());
    await admin.hset(durableStreamKeys(source).forks, '/steps/ghost', 'gone-long-ago');
    expect(await streams.delete(source)).toBe(true);
    expect(await streams.info(source)).toBeNull();
  });
});
