/**
 * @module
 * What the CLI says when what was asked for is not there, so a typo or a wrong
 * `--prefix` shows at once: the channels with a close name under the prefix, the
 * prefixes the channel does exist under, the groups a channel has.
 */

import type { Connection } from '../connect.js';

// Edit distance, for names a typo away (`order` for `orders`).
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Up to `most` names close to `name`: a few edits away, or holding it, or held by it. */
export function closeNames(name: string, names: readonly string[], most = 5): string[] {
  const limit = Math.max(2, Math.floor(name.length / 4));
  return names
    .map((candidate) => ({ candidate, score: distance(name, candidate) }))
    .filter(({ candidate, score }) => score <= limit || candidate.includes(name) || name.includes(candidate))
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, most)
    .map(({ candidate }) => candidate);
}

/**
 * Why a channel shows no events, in one line, or undefined when it has some: an
 * empty stream, or a missing one with what exists instead.
 */
export async function missingChannel(connection: Connection, channel: string): Promise<string | undefined> {
  const { prefix, store } = connection;
  const described = await store.describe({ prefix, channel });
  if (described.exists) {
    return described.length === 0 ? `${channel} (key ${described.key}) is empty: no event is retained` : undefined;
  }
  const [channels, prefixes] = await Promise.all([store.channels(prefix), store.prefixesOf(channel)]);
  const hints: string[] = [];
  const others = prefixes.filter((other) => other !== prefix);
  if (others.length > 0) hints.push(`it exists under --prefix ${others.join(', ')}`);
  const close = closeNames(channel, channels);
  if (close.length > 0) hints.push(`channels with a close name: ${close.join(', ')}`);
  if (hints.length === 0) hints.push(`${channels.length} channel${channels.length === 1 ? '' : 's'} under this prefix`);
  return `no channel ${channel} under --prefix ${prefix} (no key ${described.key}); ${hints.join('; ')}`;
}

/** The groups a channel has, for a message about one it does not have. */
export async function groupsOf(connection: Connection, channel: string): Promise<string> {
  const { groups } = await connection.store.describe({ prefix: connection.prefix, channel });
  return groups.length === 0 ? 'it has no consumer groups' : `its groups: ${groups.join(', ')}`;
}
