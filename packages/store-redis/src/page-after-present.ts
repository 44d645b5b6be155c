/**
 * @module
 * The common replay page, after a cursor that is still in the stream, read without a
 * script: `XRANGE` from the cursor itself (inclusive), then `XINFO STREAM`, sent
 * together. REPLAY_PAGE (scripts.ts) reads the same figures and page in one atomic
 * step, but a script's reply of a thousand entries is converted to Lua tables and
 * back, which costs Redis about a third more than the plain `XRANGE` (measured with
 * 10,000 events of 600 bytes in pages of 1,000: 108–114 ms against 80 ms); a
 * catch-up is mostly such pages.
 *
 * Why two commands are as exact as the script here (docs/architecture.md, "Expiry"):
 * - The page starts with the cursor's own entry: at the moment it was read, nothing
 *   after the cursor had been trimmed (a trim removes the oldest entries first).
 * - An entry after the cursor deleted one by one (`XDEL`) before the page was read
 *   is counted in `max-deleted-entry-id` by then, and `XINFO` is read after the page,
 *   on the same connection: the usual expiry check sees it.
 * - Whatever cannot be told apart this way (the cursor's entry gone, a stream that
 *   `XINFO` no longer shows holding the cursor, no stream at all) goes to the script,
 *   whose figures are exact at one instant.
 */

import { type Cursor, compareCursors } from '@replayrail/core';
import { ZERO_CURSOR } from '@replayrail/core/cursor';
import type { StreamFigures } from '@replayrail/core/store';
import type { RedisConnection } from './connection.js';
import type { RawEntry } from './entry-fields.js';
import { entryId, isNoSuchKey, xinfoRecord } from './stream-description.js';

/** A page read after a present cursor, and the stream's figures read right after it. */
export interface PageAfterPresent {
  readonly entries: RawEntry[];
  readonly figures: StreamFigures;
}

/**
 * The stream's figures from `XINFO STREAM`, for a cursor known to be present. Before
 * Redis 7.0 there is no entries-added nor max-deleted-entry-id (as in figuresFromReply).
 */
function figuresFromXinfo(raw: unknown): StreamFigures {
  const info = xinfoRecord(raw);
  const length = Number(info.length);
  const added = info['entries-added'];
  const modern = added !== undefined && added !== null;
  return {
    exists: true,
    length,
    entriesAdded: modern ? Number(added) : length + 1,
    firstId: entryId(info['first-entry']),
    lastGeneratedId: String(info['last-generated-id']),
    maxDeletedId: modern ? String(info['max-deleted-entry-id']) : ZERO_CURSOR,
    cursorPresent: true,
  };
}

/**
 * Up to `limit` entries after `cursor` (to `until`, inclusive), or undefined when the
 * cursor's entry is not the first one found or the figures do not show it retained:
 * then the caller reads the page with the script.
 */
export async function pageAfterPresent(
  connection: RedisConnection,
  key: string,
  cursor: Cursor,
  limit: number,
  until: Cursor | '+',
): Promise<PageAfterPresent | undefined> {
  // Sent in the same turn, in this order, on the key's connection: the page is read first.
  const range = connection.send(['XRANGE', key, cursor, until, 'COUNT', String(limit + 1)], key);
  const info = connection.send(['XINFO', 'STREAM', key], key).catch((error: unknown) => {
    if (isNoSuchKey(error)) return undefined;
    throw error;
  });
  const [entries, xinfo] = await Promise.all([range as Promise<RawEntry[]>, info]);
  if (entries[0]?.[0] !== cursor || xinfo === undefined) return undefined;
  const figures = figuresFromXinfo(xinfo);
  if (figures.firstId === null || compareCursors(figures.firstId, cursor) > 0) return undefined;
  return { entries: entries.slice(1), figures };
}
