/**
 * @module
 * `store.raw` on Redis: streams whose entries are fields in a layout of their own
 * (`@replayrail/rpc`'s commands and replies, clamator's wire), appended with XADD as
 * given. A read that may wait is one blocking XREAD on a connection of the store's
 * pool, which returns the entries as they come (a reply stream's reader waits on
 * nothing else: one round trip, not a wake-up and then a read); one that may not
 * is an XRANGE. Raw streams have no expiry check: their readers take what is there.
 */

import type { Cursor } from '@replayrail/core';
import type { RawAppendOptions, RawStreamEntry, RawStreams, ReadQuery, StreamRef } from '@replayrail/core/store';
import { type BlockingReads, blockingXread, type XreadEntry } from './blocking-xread.js';
import type { RedisConnection } from './connection.js';
import { KEEP_STREAM, RAW_APPEND_AND_WAKE } from './scripts.js';
import { wakeChannel } from './shard-wakeups.js';
import type { StoreHost } from './store-host.js';

/** What the raw streams need of their store. */
export interface RawStreamsHost extends StoreHost {
  readonly connection: RedisConnection;
  /** Whether appends must publish a wake-up (readers wait by sharded pub/sub); known once the wake-ups are chosen. */
  publishesWakeups(): Promise<boolean>;
  /** Where blocking reads run: the store's pool, under its deadlines. */
  readonly blockingReads: BlockingReads;
}

function entryOf([id, flat]: XreadEntry): RawStreamEntry {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
  return { id: String(id), fields };
}

function exclusive(after: Cursor): string {
  return `(${after}`;
}

export class RedisRawStreams implements RawStreams {
  readonly #host: RawStreamsHost;

  constructor(host: RawStreamsHost) {
    this.#host = host;
  }

  keyOf(stream: StreamRef): string {
    return this.#host.streamKey(stream);
  }

  streamOf(key: string, prefix: string): StreamRef | undefined {
    if (!key.startsWith(`${prefix}:`)) return undefined;
    const rest = key.slice(prefix.length + 1);
    if (!this.#host.hashTags) return rest === '' ? undefined : { prefix, channel: rest };
    // `<prefix>:{<channel>}`: anything around the tag names some other key.
    return rest.length > 2 && rest.startsWith('{') && rest.endsWith('}') && !rest.slice(1, -1).includes('}')
      ? { prefix, channel: rest.slice(1, -1) }
      : undefined;
  }

  async append(
    stream: StreamRef,
    fields: Readonly<Record<string, string>>,
    options: RawAppendOptions = {},
  ): Promise<Cursor | null> {
    this.#host.assertOpen();
    const key = this.keyOf(stream);
    const pairs = Object.entries(fields).flat();
    const context = { channel: stream.channel };
    if (await this.#host.publishesWakeups()) {
      // The entry and its wake-up in one step, as every append where readers wait by pub/sub.
      const args = [options.mustExist === true ? '1' : '', String(options.maxLength ?? ''), wakeChannel(key), ...pairs];
      const id = await this.#host.script(RAW_APPEND_AND_WAKE, [key], args, 'XADD', context);
      return id === null || id === undefined || id === false ? null : String(id);
    }
    const args = ['XADD', key];
    if (options.mustExist === true) args.push('NOMKSTREAM');
    if (options.maxLength !== undefined) args.push('MAXLEN', '~', String(options.maxLength));
    args.push('*', ...pairs);
    const id = await this.#host.command(args, key, 'XADD', context);
    return id === null || id === undefined ? null : String(id);
  }

  async read(stream: StreamRef, query: ReadQuery): Promise<RawStreamEntry[]> {
    this.#host.assertOpen();
    query.signal?.throwIfAborted();
    const key = this.keyOf(stream);
    if (query.blockMs <= 0) {
      const reply = (await this.#host.command(
        ['XRANGE', key, exclusive(query.after), '+', 'COUNT', String(query.limit)],
        key,
        'XRANGE',
        { channel: stream.channel },
      )) as XreadEntry[];
      return reply.map(entryOf);
    }
    const entries = await blockingXread(this.#host.blockingReads, {
      key,
      after: query.after,
      blockMs: query.blockMs,
      count: query.limit,
      signal: query.signal,
    });
    return entries.map(entryOf);
  }

  async keep(stream: StreamRef, ttlMs: number): Promise<void> {
    this.#host.assertOpen();
    const key = this.keyOf(stream);
    await this.#host.script(KEEP_STREAM, [key], [String(ttlMs)], 'PEXPIRE', { channel: stream.channel });
  }

  async delete(stream: StreamRef): Promise<void> {
    this.#host.assertOpen();
    const key = this.keyOf(stream);
    await this.#host.command(['DEL', key], key, 'DEL', { channel: stream.channel });
  }
}
