/**
 * @module
 * `store.state` on Redis: the latest event of each key of keyed channels, in a hash
 * and a sorted set in the stream's slot (state-scripts.ts has the layout, the
 * package README the keys). Appends change it inside the append script (redis-store.ts);
 * this reads it in pages, one key, its size, and applies a rebuild.
 */

import { type Cursor, compareCursors, type StoredEvent } from '@replayrail/core';
import { ZERO_CURSOR } from '@replayrail/core/cursor';
import { SerializationError } from '@replayrail/core/errors';
import {
  type DecodeOptions,
  decodeEntry,
  ENTRY_FIELDS,
  type EventFields,
  type StateEntry,
  type StatePage,
  type StateQuery,
  type StateStore,
  type StateUpdate,
  type StreamRef,
} from '@replayrail/core/store';
import { STATE_APPLY, STATE_PAGE } from './state-scripts.js';
import type { StoreHost } from './store-host.js';

/** What the state needs from its store. */
export interface StateHost extends StoreHost {
  readonly decode: DecodeOptions;
}

/** The keys of a channel's state: its hash and its sorted set of keys, in the stream's slot. */
export function stateKeys(streamKey: string, hashTags: boolean): { values: string; keys: string } {
  const base = hashTags ? streamKey : `{${streamKey}}`;
  return { values: `${base}:state`, keys: `${base}:state-keys` };
}

/**
 * A state value without its ID: the entry's field values in `ENTRY_FIELDS` order,
 * joined by NUL. No value holds one: names and times are checked, and JSON escapes
 * it. Read back with one split, not a JSON parse of JSON inside JSON.
 */
export function encodeStateValue(fields: EventFields): string {
  return ENTRY_FIELDS.map((name) => fields[name]).join('\u0000');
}

// A hash value: the entry's ID, a newline, then encodeStateValue's text.
function decodeValue(channel: string, key: string, value: string, decode: DecodeOptions): StoredEvent {
  const newline = value.indexOf('\n');
  const values = newline < 0 ? [] : value.slice(newline + 1).split('\u0000');
  if (values.length !== ENTRY_FIELDS.length) {
    throw new SerializationError(`the state of ${channel} holds an unreadable value for key ${JSON.stringify(key)}`, {
      context: { channel, key },
    });
  }
  const fields: Record<string, string> = {};
  ENTRY_FIELDS.forEach((name, index) => {
    fields[name] = values[index] as string;
  });
  return decodeEntry(value.slice(0, newline) as Cursor, fields, decode);
}

export class RedisState implements StateStore {
  readonly #host: StateHost;

  constructor(host: StateHost) {
    this.#host = host;
  }

  #keys(stream: StreamRef): { stream: string; values: string; keys: string } {
    const key = this.#host.streamKey(stream);
    return { stream: key, ...stateKeys(key, this.#host.hashTags) };
  }

  async page(stream: StreamRef, query: StateQuery): Promise<StatePage> {
    this.#host.assertOpen();
    const keys = this.#keys(stream);
    const reply = (await this.#host.script(
      STATE_PAGE,
      [keys.stream, keys.values, keys.keys],
      [query.at ?? '', query.afterKey ?? '', String(query.limit)],
      'state page',
      { channel: stream.channel },
    )) as [string, string[], (string | null)[]];
    const at = String(reply[0] ?? ZERO_CURSOR);
    const names = reply[1].map(String);
    const entries: StateEntry[] = [];
    names.forEach((key, index) => {
      const value = reply[2][index];
      // Deleted between the two reads of the script cannot happen (one step); a key
      // without a value is a hash changed by hand: nothing to show for it.
      if (value === null || value === undefined) return;
      const event = decodeValue(stream.channel, key, String(value), this.#host.decode);
      // Changed after the snapshot's cursor: the events after it carry this key.
      if (compareCursors(event.id, at) <= 0) entries.push({ key, event });
    });
    return { at, entries, nextKey: names.length === query.limit ? (names.at(-1) as string) : null };
  }

  async get(stream: StreamRef, key: string): Promise<StoredEvent | null> {
    this.#host.assertOpen();
    const keys = this.#keys(stream);
    const value = await this.#host.command(['HGET', keys.values, key], keys.values, 'HGET', {
      channel: stream.channel,
    });
    return value === null || value === undefined
      ? null
      : decodeValue(stream.channel, key, String(value), this.#host.decode);
  }

  async size(stream: StreamRef): Promise<number> {
    this.#host.assertOpen();
    const keys = this.#keys(stream);
    return Number(await this.#host.command(['ZCARD', keys.keys], keys.keys, 'ZCARD', { channel: stream.channel }));
  }

  async apply(stream: StreamRef, updates: readonly StateUpdate[]): Promise<number> {
    this.#host.assertOpen();
    if (updates.length === 0) return 0;
    const keys = this.#keys(stream);
    const args: string[] = [];
    for (const update of updates) {
      args.push(update.key, update.id, update.fields === null ? '' : encodeStateValue(update.fields));
    }
    return Number(
      await this.#host.script(STATE_APPLY, [keys.values, keys.keys], args, 'state apply', { channel: stream.channel }),
    );
  }
}
