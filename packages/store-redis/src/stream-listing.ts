/**
 * @module
 * Which channels have a stream, for operators' tools (the CLI's hints when a
 * channel or a `--prefix` is wrong): a `SCAN … TYPE stream` over the keys of the
 * store's layout, bounded by the number of keys it looks at. On one server only:
 * a cluster spreads its keys over nodes this store does not walk.
 */

/** Sends one command to the server, under the store's deadline. */
export type Send = (args: readonly string[]) => Promise<unknown>;

/** How a store names a channel's stream key, so a key can be read back as a channel. */
export interface KeyLayout {
  readonly hashTags: boolean;
}

// SCAN's MATCH is a glob: its special characters in a prefix or channel stand for themselves.
function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Stream keys matching `pattern`, looking at up to `limit` keys. */
async function scanStreams(send: Send, pattern: string, limit: number): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  let looked = 0;
  do {
    const reply = (await send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000', 'TYPE', 'stream'])) as [
      string,
      string[],
    ];
    cursor = String(reply[0]);
    for (const key of reply[1]) keys.add(String(key));
    looked += 1000;
  } while (cursor !== '0' && looked < limit);
  return [...keys];
}

/** The channel a stream key under `prefix` names, or undefined for another key (a group's streams). */
function channelOf(key: string, prefix: string, layout: KeyLayout): string | undefined {
  if (!key.startsWith(`${prefix}:`)) return undefined;
  const rest = key.slice(prefix.length + 1);
  if (!layout.hashTags) return rest;
  // `<prefix>:{<channel>}`; a group's `<prefix>:{<channel>}:dead:<group>` is not a channel.
  return rest.startsWith('{') && rest.endsWith('}') ? rest.slice(1, -1) : undefined;
}

/** Channels with a stream under `prefix`, sorted. */
export async function channelsUnder(send: Send, prefix: string, layout: KeyLayout, limit: number): Promise<string[]> {
  const keys = await scanStreams(send, `${globEscaped(prefix)}:*`, limit);
  return keys
    .map((key) => channelOf(key, prefix, layout))
    .filter((channel): channel is string => channel !== undefined)
    .sort();
}

/** Prefixes under which `channel` has a stream, sorted. */
export async function prefixesOf(send: Send, channel: string, layout: KeyLayout, limit: number): Promise<string[]> {
  const suffix = layout.hashTags ? `:{${channel}}` : `:${channel}`;
  const keys = await scanStreams(send, `*${globEscaped(suffix)}`, limit);
  return (
    keys
      .filter((key) => key.endsWith(suffix))
      .map((key) => key.slice(0, -suffix.length))
      // A prefix with a colon cannot be told from a channel's own colons (`rr:a:orders`): left out.
      .filter((prefix) => /^[A-Za-z0-9._-]{1,64}$/.test(prefix))
      .sort()
  );
}
