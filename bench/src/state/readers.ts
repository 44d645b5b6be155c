/**
 * @module
 * The ways the state benchmark reads a keyed channel's state to its end: the rail's
 * snapshot, and what one writes with ioredis alone on the same Redis keys (the hash
 * store-redis keeps beside the stream: key → `<entry ID>\n<the entry's fields as
 * JSON>`). Each calls `onPage` once per page it holds, for memory sampling, and
 * resolves to the number of keys it read. Shared by the driver (timing) and the
 * memory probe (one process per measurement).
 */

import type { ReplayRail, StoredEvent } from '@replayrail/core';
import type { Redis } from 'ioredis';

export type Reader = 'rail' | 'railPages' | 'hscan' | 'hscanStrings' | 'hgetall';

/** Where the state of the benchmark's channel lives, and how to read it. */
export interface StateSource {
  readonly client: Redis;
  readonly rail: ReplayRail;
  readonly channel: string;
  /** The state's hash (`store.stateKeys(…).values`). */
  readonly hash: string;
}

export const LABELS: Record<Reader, string> = {
  rail: '`rail.snapshot`, iterated',
  railPages: "`rail.replay({ from: 'snapshot' })`, page by page",
  hscan: 'ioredis `HSCAN`, each value decoded',
  hscanStrings: 'ioredis `HSCAN`, values left as strings',
  hgetall: 'ioredis `HGETALL`, each value decoded',
};

/**
 * A hash value as the event it holds, the work the rail does for each key: the ID
 * before the newline, the entry's seven field values after it (joined by NUL, in
 * entry order), its JSON fields parsed.
 */
export function decodeStateValue(value: string): StoredEvent {
  const newline = value.indexOf('\n');
  const [event_id, channel, type, payload, actor, metadata, created_at] = value.slice(newline + 1).split('\u0000');
  return {
    id: value.slice(0, newline),
    event_id: event_id as string,
    channel: channel as string,
    type: type as string,
    payload: JSON.parse(payload as string),
    actor: JSON.parse(actor as string),
    metadata: JSON.parse(metadata as string),
    created_at: created_at as string,
  };
}

/** Reads the whole state with `reader`, `pageSize` keys per call (HGETALL: all at once). */
export async function readState(
  source: StateSource,
  reader: Reader,
  pageSize: number,
  onPage: () => void,
): Promise<number> {
  const { client, hash } = source;
  let count = 0;
  // Something done with each key, so no reader's work can be skipped.
  let checksum = 0;
  const use = (event: StoredEvent | string): void => {
    count++;
    checksum += typeof event === 'string' ? event.length : event.id.length;
  };
  switch (reader) {
    case 'rail': {
      const snapshot = await source.rail.snapshot(source.channel, { pageSize });
      for await (const event of snapshot) {
        // The first event of a page: the page is held now.
        if (count % pageSize === 0) onPage();
        use(event);
      }
      break;
    }
    case 'railPages': {
      // The same pages without an iterator: what the async iteration costs per key.
      let page = await source.rail.replay(source.channel, { from: 'snapshot', limit: pageSize });
      for (;;) {
        onPage();
        for (const event of page.events) use(event);
        const next = page.snapshot;
        if (next === undefined || next.nextKey === null) break;
        page = await source.rail.replay(source.channel, {
          from: 'snapshot',
          limit: pageSize,
          snapshotCursor: next.cursor,
          afterKey: next.nextKey,
        });
      }
      break;
    }
    case 'hscan':
    case 'hscanStrings': {
      let cursor = '0';
      do {
        const [next, flat] = await client.hscan(hash, cursor, 'COUNT', pageSize);
        const page: (StoredEvent | string)[] = [];
        for (let i = 1; i < flat.length; i += 2) {
          const value = flat[i] as string;
          page.push(reader === 'hscan' ? decodeStateValue(value) : value);
        }
        onPage();
        for (const item of page) use(item);
        cursor = next;
      } while (cursor !== '0');
      break;
    }
    case 'hgetall': {
      const all = await client.hgetall(hash);
      onPage();
      const events = Object.values(all).map(decodeStateValue);
      onPage();
      for (const event of events) use(event);
      break;
    }
  }
  if (checksum === 0 && count > 0) throw new Error('unreachable: every key has an ID');
  return count;
}
