import type { StoreHarness } from '@replayrail/core/testing';
import { RedisStreamStore, type RedisStreamStoreOptions } from '../index.js';

/** Raw commands on an admin connection, for the harness: routed by key in a cluster. */
export interface AdminCommands {
  send(args: string[], key: string): Promise<unknown>;
  /** Every key under a prefix (across all masters in a cluster). */
  keys(pattern: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A conformance harness on a real Redis: the store under test on `client`, and
 * XDEL / DEL / XTRIM / XADD through a separate admin connection. Cleanup deletes
 * every key under the test's prefix (hash-tagged ones too) and closes both connections.
 */
export function redisHarness(
  prefix: string,
  client: unknown,
  admin: AdminCommands,
  closeClient: () => Promise<void>,
  options: Partial<RedisStreamStoreOptions> = {},
): StoreHarness {
  const store = new RedisStreamStore({ client, ...options });
  return {
    store,
    // Hash-tagged records live in their channel's slot, so event_ids are per channel.
    eventIdScope:
      store.idempotencyKey({ prefix, channel: 'a' }, 'e') === store.idempotencyKey({ prefix, channel: 'b' }, 'e')
        ? 'store'
        : 'channel',
    deleteEntries: async (stream, ids) => {
      const key = store.streamKey(stream);
      if (ids.length > 0) await admin.send(['XDEL', key, ...ids], key);
    },
    deleteStream: async (stream) => {
      const key = store.streamKey(stream);
      await admin.send(['DEL', key], key);
    },
    trim: async (stream, maxLength) => {
      const key = store.streamKey(stream);
      await admin.send(['XTRIM', key, 'MAXLEN', '=', String(maxLength)], key);
    },
    appendRaw: async (stream, fields) => {
      const key = store.streamKey(stream);
      return String(await admin.send(['XADD', key, '*', ...Object.entries(fields).flat()], key));
    },
    cleanup: async () => {
      // The consumer groups' keys carry their stream's hash tag: `{<prefix>:<channel>}:dead:<group>`.
      const keys = [...(await admin.keys(`${prefix}*`)), ...(await admin.keys(`{${prefix}*`))];
      for (const key of keys) await admin.send(['DEL', key], key);
      await closeClient();
      await admin.close();
    },
  };
}
