import type { Redis } from 'ioredis';

/**
 * Deletes every key a test wrote under `prefix`: `<prefix>…`, and the consumer
 * groups' keys, which carry their stream's hash tag (`{<prefix>:<channel>}:dead:<group>`).
 */
export async function deleteKeysUnder(client: Redis, prefix: string): Promise<void> {
  const keys = [...(await client.keys(`${prefix}*`)), ...(await client.keys(`{${prefix}*`))];
  if (keys.length > 0) await client.del(...keys);
}
