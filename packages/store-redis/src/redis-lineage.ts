/**
 * @module
 * `store.lineage` on Redis (docs/lineage.md; lineage-scripts.ts has the layout): the
 * append script pushes each event with a correlation on its channel's index of that
 * correlation. The correlation's set of channels is written in that script on one
 * server; on a cluster, where it lives in another slot, it is written first (one
 * round trip, then remembered for half the index's lifetime), so it never misses a
 * channel that holds entries. On one server too, a process that registered a
 * (correlation, channel) lately leaves the set alone: most indexed appends then cost
 * an `RPUSH` and a `PEXPIRE` beside the `XADD`. A lineage read costs one SMEMBERS and
 * one script per channel, each reading only the correlation's own entries.
 */

import type { Cursor, StoredEvent } from '@replayrail/core';
import {
  type DecodeOptions,
  decodeEntry,
  type EventLocation,
  type LineageIndexing,
  type LineageMark,
  type LineageRecord,
  type LineageRetention,
  type LineageStore,
  type StreamRef,
} from '@replayrail/core/store';
import { fieldsOf, type RawEntry } from './entry-fields.js';
import { LINEAGE_INDEX, LINEAGE_MARK, LINEAGE_READ, LINEAGE_REGISTER } from './lineage-scripts.js';
import type { StoreHost } from './store-host.js';

/** What the index needs from its store. */
export interface LineageHost extends StoreHost {
  readonly decode: DecodeOptions;
  /** A cluster: the set of channels is written before the append, not in its script. */
  readonly isCluster: boolean;
}

/** The Redis keys of a correlation's index in a channel, and of its set of channels. */
export function lineageKeys(stream: StreamRef, correlationId: string): { index: string; channels: string } {
  // `{` cannot be in a channel name, so neither key can be a channel's stream.
  return {
    index: `${stream.prefix}:{${stream.channel}}:lineage:${correlationId}`,
    channels: `${stream.prefix}:lineage:{${correlationId}}`,
  };
}

/** The set outlives every index it lists: twice the index's TTL (see `register`). */
const setTtl = (ttlMs: number | null) => (ttlMs === null ? '' : String(ttlMs * 2));

/** The arguments every script that writes an index takes: the index's TTL and length, the set's TTL, the channel. */
const retentionArgs = (stream: StreamRef, retention: LineageRetention): string[] => [
  retention.ttlMs === null ? '' : String(retention.ttlMs),
  String(retention.maxEntries),
  setTtl(retention.ttlMs),
  stream.channel,
];

/** Registrations remembered on a cluster; past it the memory starts again. */
const REMEMBERED = 10_000;

export class RedisLineage implements LineageStore {
  readonly #host: LineageHost;
  // On a cluster: `<set key>\n<channel>` → until when its registration needs no renewal.
  readonly #registered = new Map<string, number>();

  constructor(host: LineageHost) {
    this.#host = host;
  }

  /**
   * The keys and arguments the append script takes for an event's index entry
   * (state-scripts.ts, POLICY_APPEND); what must be done before it runs (on a
   * cluster: register the channel); and what to call once it stored the event (on
   * one server, where the script registered it: remember that).
   */
  appendStep(
    stream: StreamRef,
    indexing: LineageIndexing,
  ): { keys: string[]; args: string[]; before: Promise<void> | undefined; stored: () => void } {
    const keys = lineageKeys(stream, indexing.correlationId);
    const cause = indexing.cause === null ? '' : ` ${indexing.cause.channel} ${indexing.cause.id}`;
    const args = [cause, ...retentionArgs(stream, indexing)];
    const none = () => {};
    if (this.#host.isCluster) {
      return { keys: [keys.index], args, before: this.#register(stream, keys.channels, indexing.ttlMs), stored: none };
    }
    // One server: the script registers the channel itself, unless this process did lately.
    const remembered = this.#remembered(stream, keys.channels);
    return {
      keys: remembered ? [keys.index] : [keys.index, keys.channels],
      args,
      before: undefined,
      stored: remembered ? none : () => this.#remember(stream, keys.channels, indexing.ttlMs),
    };
  }

  async read(prefix: string, correlationId: string): Promise<LineageRecord[]> {
    this.#host.assertOpen();
    const { channels: setKey } = lineageKeys({ prefix, channel: '' }, correlationId);
    const channels = (await this.#host.command(['SMEMBERS', setKey], setKey, 'SMEMBERS', {
      correlation_id: correlationId,
    })) as string[];
    const perChannel = await Promise.all(
      channels.map((channel) => this.#readChannel({ prefix, channel }, correlationId)),
    );
    return perChannel.flat();
  }

  async events(prefix: string, locations: readonly EventLocation[]): Promise<(StoredEvent | null)[]> {
    this.#host.assertOpen();
    return Promise.all(
      locations.map(async ({ channel, id }) => {
        const key = this.#host.streamKey({ prefix, channel });
        const reply = (await this.#host.command(['XRANGE', key, id, id], key, 'XRANGE', { channel, id })) as RawEntry[];
        const entry = reply[0];
        return entry === undefined ? null : decodeEntry(id, fieldsOf(entry[1]), this.#host.decode);
      }),
    );
  }

  async mark(
    stream: StreamRef,
    correlationId: string,
    id: Cursor,
    mark: LineageMark,
    retention: LineageRetention,
  ): Promise<void> {
    this.#host.assertOpen();
    await this.#host.script(
      LINEAGE_MARK,
      await this.#writeKeys(stream, correlationId, retention.ttlMs),
      [`m ${id} ${JSON.stringify(mark)}`, ...retentionArgs(stream, retention)],
      'lineage mark',
      { channel: stream.channel, correlation_id: correlationId },
    );
  }

  async index(
    stream: StreamRef,
    correlationId: string,
    ids: readonly Cursor[],
    retention: LineageRetention,
  ): Promise<number> {
    this.#host.assertOpen();
    if (ids.length === 0) return 0;
    const added = await this.#host.script(
      LINEAGE_INDEX,
      await this.#writeKeys(stream, correlationId, retention.ttlMs),
      [...retentionArgs(stream, retention), ...ids],
      'lineage index',
      { channel: stream.channel, correlation_id: correlationId },
    );
    return Number(added);
  }

  async #readChannel(stream: StreamRef, correlationId: string): Promise<LineageRecord[]> {
    const { index } = lineageKeys(stream, correlationId);
    const [elements, entries] = (await this.#host.script(
      LINEAGE_READ,
      [index, this.#host.streamKey(stream)],
      [],
      'lineage read',
      { channel: stream.channel, correlation_id: correlationId },
    )) as [string[], (string[] | null)[]];
    const records: LineageRecord[] = [];
    elements.forEach((element, i) => {
      const record = this.#record(stream, String(element), entries[i] ?? null);
      if (record !== undefined) records.push(record);
    });
    return records;
  }

  // An index element and its entry as a record; undefined for an element written by hand.
  #record(stream: StreamRef, element: string, entry: string[] | null): LineageRecord | undefined {
    const { channel } = stream;
    if (element.startsWith('m ')) {
      const space = element.indexOf(' ', 2);
      if (space < 0) return undefined;
      try {
        const mark = JSON.parse(element.slice(space + 1)) as LineageMark;
        return { kind: 'mark', channel, id: element.slice(2, space), mark };
      } catch {
        return undefined;
      }
    }
    const [kind, id, causeChannel, causeId] = element.split(' ');
    if (kind !== 'e' || id === undefined) return undefined;
    const cause = causeChannel !== undefined && causeId !== undefined ? { channel: causeChannel, id: causeId } : null;
    const event = entry === null ? null : decodeEntry(id, fieldsOf(entry), this.#host.decode);
    return { kind: 'event', channel, id, event, cause };
  }

  // The keys of a script that writes a correlation's index outside an append (a mark,
  // a rebuild): on one server the script adds the channel to the set too; on a
  // cluster, where the set is in another slot, it is registered first.
  async #writeKeys(stream: StreamRef, correlationId: string, ttlMs: number | null): Promise<string[]> {
    const keys = lineageKeys(stream, correlationId);
    if (!this.#host.isCluster) return [keys.index, keys.channels];
    await this.#register(stream, keys.channels, ttlMs);
    return [keys.index];
  }

  // On a cluster: adds the channel to the correlation's set unless that was done
  // recently enough.
  async #register(stream: StreamRef, setKey: string, ttlMs: number | null): Promise<void> {
    if (this.#remembered(stream, setKey)) return;
    await this.#host.script(LINEAGE_REGISTER, [setKey], [stream.channel, setTtl(ttlMs)], 'lineage register', {
      channel: stream.channel,
    });
    this.#remember(stream, setKey, ttlMs);
  }

  // Whether this process added the channel to the set recently enough to skip it: the
  // set's TTL is twice the index's, and a registration is renewed after half the
  // index's TTL, so the set outlives every index it lists.
  #remembered(stream: StreamRef, setKey: string): boolean {
    return (this.#registered.get(`${setKey}\n${stream.channel}`) ?? 0) > Date.now();
  }

  #remember(stream: StreamRef, setKey: string, ttlMs: number | null): void {
    if (this.#registered.size >= REMEMBERED) this.#registered.clear();
    const until = ttlMs === null ? Number.POSITIVE_INFINITY : Date.now() + ttlMs / 2;
    this.#registered.set(`${setKey}\n${stream.channel}`, until);
  }
}
