import type { Redis } from 'ioredis';

/** Deletes every key a test wrote under `prefix`. */
export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
}
