/**
 * @module
 * Consumer groups in memory, with the observable behaviour of Redis Streams
 * consumer groups (XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM, XPENDING): a
 * pending list with delivery counters and idle times, consumers with the time they
 * were last seen, a group's last delivered entry and how many entries it has read.
 * Each method runs without an `await` between its checks and its writes.
 */

import { type Cursor, compareCursors } from '@replayrail/core';
import { ZERO_CURSOR } from '@replayrail/core/cursor';
import { StoreError } from '@replayrail/core/errors';
import {
  type ClaimQuery,
  type ClaimResult,
  type DeadLetter,
  type DeadLetterFailure,
  type DecodeOptions,
  deadLetterFields,
  decodeDeadLetter,
  type EntryRef,
  type GroupEntry,
  type GroupInfo,
  type GroupRead,
  type GroupReadQuery,
  type GroupRef,
  type GroupStore,
  groupEntry,
  type LostEntries,
  previousCursor,
  type RecordedFailure,
  redriveFields,
} from '@replayrail/core/store';

/** An entry of a stream, with its place in the order of all appends (1-based). */
export interface NumberedEntry {
  readonly id: Cursor;
  readonly fields: Readonly<Record<string, string>>;
  readonly added: number;
}

/** A stream as the groups see it. */
export interface GroupedStream {
  readonly entries: NumberedEntry[];
  readonly entriesAdded: number;
  readonly lastGeneratedId: Cursor;
}

/** What the groups need of the store that holds the streams. */
export interface GroupHost {
  stream(key: string): GroupedStream | undefined;
  /** The stream, created empty if missing (XGROUP CREATE … MKSTREAM). */
  ensureStream(key: string): GroupedStream;
  /** Index of the first entry with an ID greater than `cursor` (or equal, with `inclusive`). */
  indexAfter(entries: readonly NumberedEntry[], cursor: Cursor, inclusive: boolean): number;
  nextId(last: Cursor): Cursor;
  now(): number;
  /** Resolves on the next append to `key` (or a `wake`), after `timeoutMs`, or on close. */
  nextAppend(key: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void>;
  wake(key: string): void;
  assertOpen(): void;
  readonly decode: DecodeOptions;
}

interface Pending {
  consumer: string;
  deliveries: number;
  touchedAt: number;
  failure: RecordedFailure | undefined;
}

interface Consumer {
  // When it last got or kept entries (Redis 7.0's idle time: an empty read does not count).
  seenAt: number;
}

// A group's own stream (dead letters, redrive).
interface SideStream {
  entries: { id: Cursor; fields: Record<string, string> }[];
  lastId: Cursor;
}

interface Group {
  lastDelivered: Cursor;
  // The `added` number of the last entry the group read: how many it has passed.
  readCount: number;
  redriveDelivered: Cursor;
  // Keyed `<source> <id>`, in delivery order.
  readonly pending: Map<string, Pending>;
  readonly consumers: Map<string, Consumer>;
  readonly redrive: SideStream;
  readonly dead: SideStream;
}

const refKey = (ref: EntryRef): string => `${ref.source} ${ref.id}`;

function streamKey(ref: GroupRef): string {
  return `${ref.prefix}:${ref.channel}`;
}

function missingGroup(ref: GroupRef): StoreError {
  return new StoreError(`no consumer group ${JSON.stringify(ref.group)} on channel ${ref.channel}`, {
    context: { channel: ref.channel, group: ref.group },
  });
}

export class MemoryGroups implements GroupStore {
  readonly #host: GroupHost;
  // By stream key, then group name.
  readonly #groups = new Map<string, Map<string, Group>>();

  constructor(host: GroupHost) {
    this.#host = host;
  }

  /** The stream was deleted: its groups go with it, as in Redis (their own streams stay). */
  forgetStream(key: string): void {
    this.#groups.delete(key);
  }

  async createGroup(ref: GroupRef, startAt: Cursor | '$'): Promise<boolean> {
    this.#host.assertOpen();
    const key = streamKey(ref);
    const stream = this.#host.ensureStream(key);
    let groups = this.#groups.get(key);
    if (groups === undefined) {
      groups = new Map();
      this.#groups.set(key, groups);
    }
    if (groups.has(ref.group)) return false;
    const start = startAt === '$' ? stream.lastGeneratedId : startAt;
    // Entries already trimmed before `start` are not the group's to miss.
    const passed = stream.entries.slice(0, this.#host.indexAfter(stream.entries, start, false));
    const readCount = passed.at(-1)?.added ?? stream.entriesAdded - stream.entries.length;
    groups.set(ref.group, {
      lastDelivered: start,
      readCount,
      redriveDelivered: ZERO_CURSOR,
      pending: new Map(),
      consumers: new Map(),
      redrive: { entries: [], lastId: ZERO_CURSOR },
      dead: { entries: [], lastId: ZERO_CURSOR },
    });
    return true;
  }

  async readGroup(ref: GroupRef, query: GroupReadQuery): Promise<GroupRead> {
    this.#host.assertOpen();
    query.signal?.throwIfAborted();
    const deadline = Date.now() + query.blockMs;
    for (;;) {
      const read = this.#readNow(ref, query);
      const remaining = deadline - Date.now();
      if (read.entries.length > 0 || read.lost !== null || remaining <= 0) return read;
      await this.#host.nextAppend(streamKey(ref), remaining, query.signal);
      this.#host.assertOpen();
    }
  }

  async pendingOf(ref: GroupRef, consumer: string, limit: number): Promise<GroupEntry[]> {
    const group = this.#group(ref);
    const entries: GroupEntry[] = [];
    for (const [key, pending] of [...group.pending].sort(byEntry)) {
      if (entries.length >= limit) break;
      if (pending.consumer !== consumer) continue;
      const entry = parseRefKey(key);
      const fields = this.#fieldsOf(ref, group, entry);
      if (fields === undefined) continue;
      entries.push(groupEntry(entry.id, entry.source, fields, pending.deliveries, this.#host.decode, pending.failure));
    }
    return entries;
  }

  async ack(ref: GroupRef, entries: readonly EntryRef[]): Promise<number> {
    const group = this.#group(ref);
    let acked = 0;
    for (const entry of entries) if (group.pending.delete(refKey(entry))) acked++;
    return acked;
  }

  async touch(ref: GroupRef, consumer: string, entries: readonly EntryRef[]): Promise<EntryRef[]> {
    const group = this.#group(ref);
    const now = this.#host.now();
    const lost: EntryRef[] = [];
    for (const entry of entries) {
      const pending = group.pending.get(refKey(entry));
      if (pending?.consumer === consumer) {
        pending.touchedAt = now;
        this.#seen(group, consumer, now);
      } else lost.push({ id: entry.id, source: entry.source });
    }
    return lost;
  }

  async redeliver(
    ref: GroupRef,
    consumer: string,
    entry: EntryRef,
    deliveries: number,
    failure: RecordedFailure,
  ): Promise<boolean> {
    const group = this.#group(ref);
    const pending = group.pending.get(refKey(entry));
    if (pending?.consumer !== consumer) return false;
    pending.deliveries = deliveries;
    pending.failure = { ...failure, firstFailedAt: pending.failure?.firstFailedAt ?? failure.firstFailedAt };
    pending.touchedAt = this.#host.now();
    this.#seen(group, consumer, pending.touchedAt);
    return true;
  }

  async claimIdle(ref: GroupRef, query: ClaimQuery): Promise<ClaimResult> {
    const group = this.#group(ref);
    const now = this.#host.now();
    const entries: GroupEntry[] = [];
    const gone: EntryRef[] = [];
    for (const [key, pending] of [...group.pending].sort(byEntry)) {
      if (entries.length + gone.length >= query.limit) break;
      if (now - pending.touchedAt < query.minIdleMs) continue;
      const ref_ = parseRefKey(key);
      const fields = this.#fieldsOf(ref, group, ref_);
      if (fields === undefined) {
        group.pending.delete(key);
        gone.push(ref_);
        continue;
      }
      pending.consumer = query.consumer;
      pending.deliveries++;
      pending.touchedAt = now;
      entries.push(groupEntry(ref_.id, ref_.source, fields, pending.deliveries, this.#host.decode, pending.failure));
    }
    if (entries.length > 0) this.#seen(group, query.consumer, now);
    return { entries, gone };
  }

  async deadLetter(ref: GroupRef, entry: GroupEntry, failure: DeadLetterFailure): Promise<Cursor | null> {
    const group = this.#group(ref);
    if (!group.pending.delete(refKey(entry))) return null;
    return this.#append(group.dead, deadLetterFields(entry, failure));
  }

  async deadLetters(ref: GroupRef, query: { readonly after?: Cursor; readonly limit: number }): Promise<DeadLetter[]> {
    const group = this.#group(ref);
    const after = query.after ?? ZERO_CURSOR;
    return group.dead.entries
      .filter((entry) => compareCursors(entry.id, after) > 0)
      .slice(0, query.limit)
      .map((entry) => decodeDeadLetter(entry.id, entry.fields, this.#host.decode));
  }

  async redrive(ref: GroupRef, ids: readonly Cursor[] | 'all'): Promise<number> {
    const group = this.#group(ref);
    const moving = this.#take(group.dead, ids);
    for (const dead of moving) this.#append(group.redrive, redriveFields(dead.fields));
    if (moving.length > 0) this.#host.wake(streamKey(ref));
    return moving.length;
  }

  async discard(ref: GroupRef, ids: readonly Cursor[] | 'all'): Promise<number> {
    return this.#take(this.#group(ref).dead, ids).length;
  }

  async groupInfo(ref: GroupRef): Promise<GroupInfo | null> {
    this.#host.assertOpen();
    const group = this.#groups.get(streamKey(ref))?.get(ref.group);
    if (group === undefined) return null;
    const entries = this.#host.stream(streamKey(ref))?.entries ?? [];
    const now = this.#host.now();
    const held = new Map<string, number>();
    for (const pending of group.pending.values()) held.set(pending.consumer, (held.get(pending.consumer) ?? 0) + 1);
    return {
      pending: group.pending.size,
      lag: entries.length - this.#host.indexAfter(entries, group.lastDelivered, false),
      lastDelivered: group.lastDelivered,
      deadLetters: group.dead.entries.length,
      redriving: group.redrive.entries.filter((entry) => compareCursors(entry.id, group.redriveDelivered) > 0).length,
      consumers: [...group.consumers].map(([name, consumer]) => ({
        name,
        pending: held.get(name) ?? 0,
        idleMs: now - consumer.seenAt,
      })),
    };
  }

  async removeIdleConsumers(ref: GroupRef, idleMs: number, keep: string): Promise<string[]> {
    const group = this.#group(ref);
    const now = this.#host.now();
    const holding = new Set([...group.pending.values()].map((pending) => pending.consumer));
    const removed: string[] = [];
    for (const [name, consumer] of group.consumers) {
      if (name === keep || holding.has(name) || now - consumer.seenAt < idleMs) continue;
      group.consumers.delete(name);
      removed.push(name);
    }
    return removed;
  }

  // --- Internals

  #group(ref: GroupRef): Group {
    this.#host.assertOpen();
    const group = this.#groups.get(streamKey(ref))?.get(ref.group);
    if (group === undefined) throw missingGroup(ref);
    return group;
  }

  #seen(group: Group, consumer: string, now: number): void {
    const known = group.consumers.get(consumer);
    if (known === undefined) group.consumers.set(consumer, { seenAt: now });
    else known.seenAt = now;
  }

  #readNow(ref: GroupRef, query: GroupReadQuery): GroupRead {
    const group = this.#group(ref);
    const now = this.#host.now();
    const stream = this.#host.stream(streamKey(ref));
    const lost = stream === undefined ? null : this.#skipLost(group, stream);
    const entries: GroupEntry[] = [];
    const deliver = (ref_: EntryRef, fields: Readonly<Record<string, string>>): void => {
      group.pending.set(refKey(ref_), { consumer: query.consumer, deliveries: 1, touchedAt: now, failure: undefined });
      entries.push(groupEntry(ref_.id, ref_.source, fields, 1, this.#host.decode));
    };
    for (const entry of group.redrive.entries) {
      if (entries.length >= query.limit) break;
      if (compareCursors(entry.id, group.redriveDelivered) <= 0) continue;
      deliver({ id: entry.id, source: 'redrive' }, entry.fields);
      group.redriveDelivered = entry.id;
    }
    if (stream !== undefined) {
      const from = this.#host.indexAfter(stream.entries, group.lastDelivered, false);
      for (const entry of stream.entries.slice(from, from + query.limit - entries.length)) {
        deliver({ id: entry.id, source: 'stream' }, entry.fields);
        group.lastDelivered = entry.id;
        group.readCount = entry.added;
      }
    }
    // As in Redis: a consumer is known, and seen, when it is given entries.
    if (entries.length > 0) this.#seen(group, query.consumer, now);
    return { entries, lost };
  }

  // Entries added after the group's last read that are no longer in the stream:
  // reported once, and the group moved past them.
  #skipLost(group: Group, stream: GroupedStream): LostEntries | null {
    const next = stream.entries[this.#host.indexAfter(stream.entries, group.lastDelivered, false)];
    const missing = (next === undefined ? stream.entriesAdded : next.added - 1) - group.readCount;
    if (missing <= 0) return null;
    const lost = { after: group.lastDelivered, before: next?.id ?? null, count: missing };
    group.lastDelivered = next === undefined ? stream.lastGeneratedId : previousCursor(next.id);
    group.readCount = next === undefined ? stream.entriesAdded : next.added - 1;
    return lost;
  }

  #fieldsOf(ref: GroupRef, group: Group, entry: EntryRef): Readonly<Record<string, string>> | undefined {
    if (entry.source === 'redrive') return group.redrive.entries.find((candidate) => candidate.id === entry.id)?.fields;
    const entries = this.#host.stream(streamKey(ref))?.entries ?? [];
    const found = entries[this.#host.indexAfter(entries, entry.id, true)];
    return found?.id === entry.id ? found.fields : undefined;
  }

  #append(side: SideStream, fields: Record<string, string>): Cursor {
    const id = this.#host.nextId(side.lastId);
    side.entries.push({ id, fields });
    side.lastId = id;
    return id;
  }

  #take(side: SideStream, ids: readonly Cursor[] | 'all'): SideStream['entries'] {
    if (ids === 'all') return side.entries.splice(0);
    const wanted = new Set(ids);
    const taken = side.entries.filter((entry) => wanted.has(entry.id));
    side.entries = side.entries.filter((entry) => !wanted.has(entry.id));
    return taken;
  }
}

function parseRefKey(key: string): EntryRef {
  const [source, id] = key.split(' ') as [EntryRef['source'], Cursor];
  return { source, id };
}

// The pending list in Redis's order: by stream, then by ID.
function byEntry([a]: [string, Pending], [b]: [string, Pending]): number {
  const left = parseRefKey(a);
  const right = parseRefKey(b);
  if (left.source !== right.source) return left.source === 'stream' ? -1 : 1;
  return compareCursors(left.id, right.id);
}
