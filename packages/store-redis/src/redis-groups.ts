/**
 * @module
 * Consumer groups on Redis Streams (core's `GroupStore`): XGROUP, XREADGROUP, XACK,
 * XCLAIM, XAUTOCLAIM, XPENDING, through the scripts of group-scripts.ts wherever a
 * check and a change must be one step. A group owns two streams beside the
 * channel's, in the channel's cluster slot:
 *
 * - `{<stream key>}:dead:<group>`: its dead letters (group-layout.ts in core);
 * - `{<stream key>}:redrive:<group>`: dead letters put back, read by the group
 *   (under the same group name) before the channel.
 *
 * (With hash-tagged stream keys, `<prefix>:{<channel>}`, the braces are already
 * there: `<prefix>:{<channel>}:dead:<group>`.)
 *
 * A read never blocks inside Redis on the group: it is a live read like the
 * store's (wakeups.ts), waiting for "an entry after the group's last one exists"
 * the way the store's `wakeups` say, then reading through READ_GROUP, which first
 * reports entries trimmed before the group read them. (A blocking XREADGROUP that
 * got no answer would wedge the consumer; a wait is abandoned after its time.)
 */

import type { Cursor } from '@replayrail/core';
import { ZERO_CURSOR } from '@replayrail/core/cursor';
import {
  type ClaimQuery,
  type ClaimResult,
  type DeadLetter,
  type DeadLetterFailure,
  type DecodeOptions,
  deadLetterFields,
  decodeDeadLetter,
  decodeFailure,
  type EntryRef,
  type EntrySource,
  encodeFailure,
  type GroupEntry,
  type GroupInfo,
  type GroupRead,
  type GroupReadQuery,
  type GroupRef,
  type GroupStore,
  groupEntry,
  type RecordedFailure,
} from '@replayrail/core/store';
import { entriesOf } from './blocking-xread.js';
import { fieldsOf, type RawEntry } from './entry-fields.js';
import {
  ACK,
  CLAIM_IDLE,
  CREATE_GROUP,
  DEAD_LETTER,
  PENDING_OF,
  READ_CHECK,
  READ_GROUP,
  REDRIVE,
  REMOVE_IDLE_CONSUMERS,
  TOUCH,
} from './group-scripts.js';
import { toStoreError } from './redis-errors.js';
import type { StoreHost } from './store-host.js';
import { isNoSuchKey, xinfoRecord } from './stream-description.js';
import type { LivePage, LiveQuery } from './wakeups.js';

const toNumber = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

// A transaction that did not run at all (queued against a slot on the move, or
// discarded): the script path reads instead.
const NOT_RUN = /\b(EXECABORT|MOVED|ASK|TRYAGAIN|CROSSSLOT|CLUSTERDOWN)\b/;

/** What the groups need of the store. */
export interface GroupsHost extends StoreHost {
  /** Reads pages of `key` until one finds something or `blockMs` runs out, waiting for wake-ups in between. */
  readLive<T>(key: string, query: LiveQuery, readPage: () => Promise<LivePage<T>>): Promise<T>;
  readonly decode: DecodeOptions;
}

export class RedisGroups implements GroupStore {
  readonly #host: GroupsHost;

  constructor(host: GroupsHost) {
    this.#host = host;
  }

  /** The key of one of a group's own keys, in the channel's slot: its dead letters, redrive stream, failures hash. */
  groupKey(ref: GroupRef, kind: 'dead' | 'redrive' | 'failures'): string {
    const stream = this.#host.streamKey(ref);
    return this.#host.hashTags ? `${stream}:${kind}:${ref.group}` : `{${stream}}:${kind}:${ref.group}`;
  }

  async createGroup(ref: GroupRef, start: Cursor | '$'): Promise<boolean> {
    this.#host.assertOpen();
    const key = this.#host.streamKey(ref);
    const created = await this.#host.script(
      CREATE_GROUP,
      [key, this.groupKey(ref, 'redrive')],
      [ref.group, start],
      'XGROUP CREATE',
      this.#context(ref),
    );
    return created === 1;
  }

  async readGroup(ref: GroupRef, query: GroupReadQuery): Promise<GroupRead> {
    this.#host.assertOpen();
    const key = this.#host.streamKey(ref);
    return this.#host.readLive(key, query, async () => {
      const fast = await this.#readChecked(ref, key, query);
      if (fast !== undefined) return fast;
      const reply = (await this.#host.script(
        READ_GROUP,
        [key, this.groupKey(ref, 'redrive')],
        [ref.group, query.consumer, String(Math.max(1, query.limit))],
        'XREADGROUP',
        this.#context(ref),
      )) as [number, string, string, number, RawEntry[], RawEntry[], string];
      const entries = [...this.#entries(reply[4], 'redrive', null), ...this.#entries(reply[5], 'stream', null)];
      const lost =
        reply[0] === 1
          ? { after: String(reply[1]), before: reply[2] === '' ? null : String(reply[2]), count: toNumber(reply[3]) }
          : null;
      // With nothing new, the wait is for an entry after the group's last delivered one.
      return { result: { entries, lost }, found: entries.length > 0 || lost !== null, after: String(reply[6]) };
    });
  }

  /**
   * READ_GROUP without the script's cost: READ_CHECK (the lost-entry check) and the
   * two XREADGROUPs in one transaction, so nothing is trimmed between the check and
   * the read, and the entries come back from Redis directly instead of through Lua
   * (a third of the script's Redis time for a read of a hundred). Each read takes up to `limit`:
   * while redriven entries wait, they come first and the channel's may follow them,
   * up to twice the limit in all. Undefined when the transaction did not run (a slot
   * on the move): READ_GROUP reads then.
   */
  async #readChecked(ref: GroupRef, key: string, query: GroupReadQuery): Promise<LivePage<GroupRead> | undefined> {
    const redrive = this.groupKey(ref, 'redrive');
    const count = String(Math.max(1, query.limit));
    const context = this.#context(ref);
    let replies: unknown[];
    try {
      replies = await this.#host.transaction(
        [
          ['EVAL', READ_CHECK.source, '1', key, ref.group],
          ['XREADGROUP', 'GROUP', ref.group, query.consumer, 'COUNT', count, 'STREAMS', redrive, '>'],
          ['XREADGROUP', 'GROUP', ref.group, query.consumer, 'COUNT', count, 'STREAMS', key, '>'],
        ],
        key,
        'XREADGROUP',
        context,
      );
    } catch (error) {
      if (NOT_RUN.test(String((error as Error).cause ?? error))) return undefined;
      throw error;
    }
    const [check, redriven, fresh] = replies as [unknown, unknown, unknown];
    if (check instanceof Error) throw toStoreError(check, 'XREADGROUP', context);
    if (fresh instanceof Error) throw toStoreError(fresh, 'XREADGROUP', context);
    const [lostFlag, lostAfter, lostBefore, lostCount, last] = check as [number, string, string, number, string];
    // A group made before it had a redrive stream reads none from it (as READ_GROUP's pcall).
    const fromRedrive = redriven instanceof Error ? [] : (entriesOf(redriven, redrive) as RawEntry[]);
    const fromStream = entriesOf(fresh, key) as RawEntry[];
    const entries = [...this.#entries(fromRedrive, 'redrive', null), ...this.#entries(fromStream, 'stream', null)];
    const lost =
      toNumber(lostFlag) === 1
        ? {
            after: String(lostAfter),
            before: lostBefore === '' ? null : String(lostBefore),
            count: toNumber(lostCount),
          }
        : null;
    // With nothing new, the wait is for an entry after the group's last delivered one.
    const after = fromStream.at(-1)?.[0] ?? String(last);
    return { result: { entries, lost }, found: entries.length > 0 || lost !== null, after: String(after) };
  }

  async pendingOf(ref: GroupRef, consumer: string, limit: number): Promise<GroupEntry[]> {
    this.#host.assertOpen();
    const reply = (await this.#host.script(
      PENDING_OF,
      [this.#host.streamKey(ref), this.groupKey(ref, 'redrive'), this.groupKey(ref, 'failures')],
      [ref.group, consumer, String(Math.max(1, limit))],
      'XPENDING',
      this.#context(ref),
    )) as [RawEntry[], number[], string[], RawEntry[], number[], string[]];
    return [
      ...this.#entries(reply[0], 'stream', reply[1], reply[2]),
      ...this.#entries(reply[3], 'redrive', reply[4], reply[5]),
    ].slice(0, limit);
  }

  async ack(ref: GroupRef, entries: readonly EntryRef[]): Promise<number> {
    this.#host.assertOpen();
    let acked = 0;
    for (const [source, ids] of bySource(entries)) {
      const key = this.#keyOf(ref, source);
      const reply = await this.#host.script(
        ACK,
        [key, this.groupKey(ref, 'failures')],
        [ref.group, source, ...ids],
        'XACK',
        this.#context(ref),
      );
      acked += toNumber(reply);
    }
    return acked;
  }

  async touch(ref: GroupRef, consumer: string, entries: readonly EntryRef[]): Promise<EntryRef[]> {
    this.#host.assertOpen();
    const gone: EntryRef[] = [];
    for (const [source, ids] of bySource(entries)) {
      const lost = (await this.#host.script(
        TOUCH,
        [this.#keyOf(ref, source), this.groupKey(ref, 'failures')],
        [ref.group, consumer, '', '', '', ...ids],
        'XCLAIM',
        this.#context(ref),
      )) as string[];
      for (const id of lost) gone.push({ id: String(id), source });
    }
    return gone;
  }

  async redeliver(
    ref: GroupRef,
    consumer: string,
    entry: EntryRef,
    deliveries: number,
    failure: RecordedFailure,
  ): Promise<boolean> {
    this.#host.assertOpen();
    const lost = (await this.#host.script(
      TOUCH,
      [this.#keyOf(ref, entry.source), this.groupKey(ref, 'failures')],
      [ref.group, consumer, String(deliveries), `${entry.source}:${entry.id}`, encodeFailure(failure), entry.id],
      'XCLAIM',
      this.#context(ref),
    )) as string[];
    return lost.length === 0;
  }

  async claimIdle(ref: GroupRef, query: ClaimQuery): Promise<ClaimResult> {
    this.#host.assertOpen();
    const reply = (await this.#host.script(
      CLAIM_IDLE,
      [this.#host.streamKey(ref), this.groupKey(ref, 'redrive'), this.groupKey(ref, 'failures')],
      [ref.group, query.consumer, String(query.minIdleMs), String(Math.max(1, query.limit))],
      'XAUTOCLAIM',
      this.#context(ref),
    )) as [RawEntry[], number[], string[], string[], RawEntry[], number[], string[], string[]];
    return {
      entries: [
        ...this.#entries(reply[0], 'stream', reply[1], reply[3]),
        ...this.#entries(reply[4], 'redrive', reply[5], reply[7]),
      ],
      gone: [
        ...reply[2].map((id) => ({ id: String(id), source: 'stream' as const })),
        ...reply[6].map((id) => ({ id: String(id), source: 'redrive' as const })),
      ],
    };
  }

  async deadLetter(ref: GroupRef, entry: GroupEntry, failure: DeadLetterFailure): Promise<Cursor | null> {
    this.#host.assertOpen();
    const fields = Object.entries(deadLetterFields(entry, failure)).flat();
    const id = await this.#host.script(
      DEAD_LETTER,
      [this.#keyOf(ref, entry.source), this.groupKey(ref, 'dead'), this.groupKey(ref, 'failures')],
      [ref.group, entry.id, `${entry.source}:${entry.id}`, ...fields],
      'dead letter',
      this.#context(ref),
    );
    return typeof id === 'string' ? id : null;
  }

  async deadLetters(ref: GroupRef, query: { readonly after?: Cursor; readonly limit: number }): Promise<DeadLetter[]> {
    this.#host.assertOpen();
    const key = this.groupKey(ref, 'dead');
    const start = query.after === undefined || query.after === ZERO_CURSOR ? '-' : `(${query.after}`;
    const reply = (await this.#host.command(
      ['XRANGE', key, start, '+', 'COUNT', String(Math.max(1, query.limit))],
      key,
      'XRANGE',
      this.#context(ref),
    )) as RawEntry[];
    return reply.map(([id, fields]) => decodeDeadLetter(id, fieldsOf(fields), this.#host.decode));
  }

  async redrive(ref: GroupRef, ids: readonly Cursor[] | 'all'): Promise<number> {
    this.#host.assertOpen();
    const moved = await this.#host.script(
      REDRIVE,
      [this.groupKey(ref, 'dead'), this.groupKey(ref, 'redrive')],
      ids === 'all' ? ['*'] : [...ids],
      'redrive',
      this.#context(ref),
    );
    return toNumber(moved);
  }

  async discard(ref: GroupRef, ids: readonly Cursor[] | 'all'): Promise<number> {
    this.#host.assertOpen();
    const key = this.groupKey(ref, 'dead');
    if (ids === 'all') {
      const length = toNumber(await this.#host.command(['XLEN', key], key, 'XLEN', this.#context(ref)));
      await this.#host.command(['DEL', key], key, 'DEL', this.#context(ref));
      return length;
    }
    if (ids.length === 0) return 0;
    return toNumber(await this.#host.command(['XDEL', key, ...ids], key, 'XDEL', this.#context(ref)));
  }

  async groupInfo(ref: GroupRef): Promise<GroupInfo | null> {
    this.#host.assertOpen();
    const key = this.#host.streamKey(ref);
    const group = await this.#groupRecord(key, ref);
    if (group === undefined) return null;
    const redriveKey = this.groupKey(ref, 'redrive');
    const redriveGroup = await this.#groupRecord(redriveKey, ref);
    const deadKey = this.groupKey(ref, 'dead');
    const deadLetters = toNumber(await this.#host.command(['XLEN', deadKey], deadKey, 'XLEN', this.#context(ref)));
    const held = new Map<string, { pending: number; idleMs: number }>();
    for (const streamKey of redriveGroup === undefined ? [key] : [key, redriveKey]) {
      const consumers = (await this.#host.command(
        ['XINFO', 'CONSUMERS', streamKey, ref.group],
        streamKey,
        'XINFO CONSUMERS',
        this.#context(ref),
      )) as unknown[];
      for (const raw of consumers) {
        const consumer = xinfoRecord(raw);
        const name = String(consumer.name);
        const known = held.get(name);
        const pending = toNumber(consumer.pending);
        const idleMs = toNumber(consumer.idle);
        held.set(name, {
          pending: (known?.pending ?? 0) + pending,
          idleMs: known === undefined ? idleMs : Math.min(known.idleMs, idleMs),
        });
      }
    }
    const lag = group.lag;
    const redriveLag = redriveGroup?.lag;
    return {
      pending: toNumber(group.pending) + toNumber(redriveGroup?.pending ?? 0),
      lag: lag === null || lag === undefined ? null : toNumber(lag),
      lastDelivered: String(group['last-delivered-id']),
      deadLetters,
      redriving: redriveLag === null || redriveLag === undefined ? 0 : toNumber(redriveLag),
      consumers: [...held].map(([name, consumer]) => ({ name, ...consumer })),
    };
  }

  async removeIdleConsumers(ref: GroupRef, idleMs: number, keep: string): Promise<string[]> {
    this.#host.assertOpen();
    const removed = (await this.#host.script(
      REMOVE_IDLE_CONSUMERS,
      [this.#host.streamKey(ref), this.groupKey(ref, 'redrive')],
      [ref.group, String(idleMs), keep],
      'XGROUP DELCONSUMER',
      this.#context(ref),
    )) as string[];
    return removed.map(String);
  }

  // --- Internals

  #context(ref: GroupRef): Record<string, unknown> {
    return { channel: ref.channel, group: ref.group };
  }

  #keyOf(ref: GroupRef, source: EntrySource): string {
    return source === 'stream' ? this.#host.streamKey(ref) : this.groupKey(ref, 'redrive');
  }

  #entries(
    raw: readonly RawEntry[] | undefined,
    source: EntrySource,
    counts: readonly number[] | null,
    failures?: readonly string[],
  ): GroupEntry[] {
    return (raw ?? []).map(([id, fields], i) =>
      groupEntry(
        String(id),
        source,
        fieldsOf(fields),
        counts === null ? 1 : toNumber(counts[i] ?? 1),
        this.#host.decode,
        decodeFailure(failures?.[i]),
      ),
    );
  }

  async #groupRecord(key: string, ref: GroupRef): Promise<Record<string, unknown> | undefined> {
    let groups: unknown[];
    try {
      groups = (await this.#host.command(
        ['XINFO', 'GROUPS', key],
        key,
        'XINFO GROUPS',
        this.#context(ref),
      )) as unknown[];
    } catch (error) {
      // No such key: no group.
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
    return groups.map(xinfoRecord).find((group) => String(group.name) === ref.group);
  }
}

function bySource(entries: readonly EntryRef[]): Map<EntrySource, string[]> {
  const grouped = new Map<EntrySource, string[]>();
  for (const entry of entries) {
    const ids = grouped.get(entry.source);
    if (ids === undefined) grouped.set(entry.source, [entry.id]);
    else ids.push(entry.id);
  }
  return grouped;
}
