/**
 * @module
 * The `GroupStore` interface: what a store must do so a pool of backend workers can
 * process a channel at least once (docs/architecture.md, "Consumers"), on Redis Streams consumer groups or
 * their equivalent in memory. Each operation that decides something (a claim, a move
 * to the dead letters, the removal of a consumer) is atomic where the data lives.
 * The consumer that drives these calls is `ReplayRail.consume` (consumer/).
 *
 * A group reads two streams: the channel's, and its own redrive stream, where dead
 * letters are put back to be processed again. An entry is named by its ID and its
 * source, because the two streams number their entries independently.
 */

import type { ReplayRailError } from '../errors.js';
import type { Cursor, StoredEvent } from '../types.js';
import type { StreamRef } from './stream-ref.js';

/** One consumer group of one channel. */
export interface GroupRef extends StreamRef {
  readonly group: string;
}

/** Where a group's entry lives: the channel's stream, or the group's redrive stream. */
export type EntrySource = 'stream' | 'redrive';

/** An entry of a group, by its ID in its source stream. */
export interface EntryRef {
  readonly id: Cursor;
  readonly source: EntrySource;
}

/** The failures of an entry so far, as recorded by the consumers that ran it (for its dead letter). */
export interface RecordedFailure {
  /** The last error's name and message. */
  readonly errorName: string;
  readonly errorMessage: string;
  /** Epoch ms of the first and the last failure. */
  readonly firstFailedAt: number;
  readonly lastFailedAt: number;
}

/** An entry delivered to a consumer of a group. */
export interface GroupEntry extends EntryRef {
  /** Its ID in the channel's stream (the event's `id`): for a redriven entry, the entry it was put back from. */
  readonly origin: Cursor;
  /** The event; undefined when the entry cannot be decoded (see `error`). */
  readonly event: StoredEvent | undefined;
  /** Why the entry cannot be decoded (a `SerializationError`); such an entry goes to the dead letters at once. */
  readonly error: ReplayRailError | undefined;
  /** Times it was delivered, this one included (Redis: the pending entry's delivery counter). */
  readonly deliveries: number;
  /** The raw fields, kept for the dead letters when the entry cannot be decoded. */
  readonly fields: Readonly<Record<string, string>>;
  /** Its failures so far, recorded with `redeliver` (a claimed entry whose last consumer died keeps them). */
  readonly failure: RecordedFailure | undefined;
}

/**
 * Entries of the channel that retention trimmed before the group read them. Reported
 * once: the group moves past them. `count` is exact where the store knows how many
 * entries were added and read (Redis 7+, the memory store).
 */
export interface LostEntries {
  /** The last entry the group had read (or `0-0`). */
  readonly after: Cursor;
  /** The first entry still retained, or null when the stream is empty now. */
  readonly before: Cursor | null;
  readonly count: number | null;
}

/** What `readGroup` returns. */
export interface GroupRead {
  readonly entries: GroupEntry[];
  /** Entries trimmed before the group read them, found by this read (null: none). */
  readonly lost: LostEntries | null;
}

/** A read of new entries for one consumer. */
export interface GroupReadQuery {
  readonly consumer: string;
  /**
   * How many entries to take. Redriven entries come first; while some wait, a store
   * may give up to `limit` of them and up to `limit` of the channel's after them
   * (the Redis store reads both in one transaction).
   */
  readonly limit: number;
  /** How long to wait when there is nothing new; 0 returns at once. */
  readonly blockMs: number;
  readonly signal?: AbortSignal;
}

/** A claim of entries left idle by any consumer of the group. */
export interface ClaimQuery {
  readonly consumer: string;
  /** Only entries that no consumer touched for this long. */
  readonly minIdleMs: number;
  readonly limit: number;
}

/** What `claimIdle` returns. */
export interface ClaimResult {
  /** Entries now held by the claiming consumer, each delivery counted. */
  readonly entries: GroupEntry[];
  /** Entries that were pending but are no longer in the stream (trimmed or deleted): dropped from the pending list. */
  readonly gone: EntryRef[];
}

/** Why an entry is dead, as recorded with it. */
export interface DeadLetterFailure {
  /** The last error's name and message (`InternalError` of a handler that threw an `Error`, say). */
  readonly errorName: string;
  readonly errorMessage: string;
  readonly attempts: number;
  /** Epoch ms of the first and last failure seen. */
  readonly firstFailedAt: number;
  readonly lastFailedAt: number;
  readonly consumer: string;
}

/** An entry in a group's dead letters. */
export interface DeadLetter extends DeadLetterFailure {
  /** Its ID in the dead-letter stream (what `redrive` and `discard` take). */
  readonly id: Cursor;
  /** The entry it was, in its source. */
  readonly entry: EntryRef;
  /** Its ID in the channel's stream. */
  readonly origin: Cursor;
  /** The event, or undefined when the entry could not be decoded. */
  readonly event: StoredEvent | undefined;
  /** The entry's fields as they were stored. */
  readonly fields: Readonly<Record<string, string>>;
}

/** A consumer of a group, as the store sees it. */
export interface GroupConsumerInfo {
  readonly name: string;
  readonly pending: number;
  /** Ms since the consumer last read or claimed. */
  readonly idleMs: number;
}

/** A group's figures. */
export interface GroupInfo {
  /** Entries delivered and not yet acknowledged, over both sources. */
  readonly pending: number;
  /** Entries of the channel the group has not read yet (null when the store cannot tell). */
  readonly lag: number | null;
  /** The last entry of the channel the group read. */
  readonly lastDelivered: Cursor;
  readonly deadLetters: number;
  /** Dead letters put back and not yet read again. */
  readonly redriving: number;
  readonly consumers: GroupConsumerInfo[];
}

/**
 * Consumer groups on a store. Every method may throw `StoreError` (or its
 * subclasses) like the `EventStore` methods do.
 */
export interface GroupStore {
  /**
   * Creates the group, reading the channel after `start` (`0-0`: everything
   * retained; `$`: after the channel's last entry as of now, in the same step),
   * unless it exists: then nothing changes. Resolves to whether it was created.
   */
  createGroup(ref: GroupRef, start: Cursor | '$'): Promise<boolean>;
  /**
   * Entries no consumer of the group has been given yet, for `query.consumer`: first
   * the redrive stream's, then the channel's, at most `limit`, waiting up to `blockMs`
   * when there are none. Each is pending on the consumer until acknowledged.
   */
  readGroup(ref: GroupRef, query: GroupReadQuery): Promise<GroupRead>;
  /**
   * The entries pending on `consumer`, oldest first, at most `limit`, without
   * changing anything: how a consumer finds entries it was given by a read whose
   * answer it never got (a timeout), or held before a restart under the same name.
   */
  pendingOf(ref: GroupRef, consumer: string, limit: number): Promise<GroupEntry[]>;
  /** Acknowledges entries: they leave the pending list, their recorded failures are forgotten. Resolves to how many were pending. */
  ack(ref: GroupRef, entries: readonly EntryRef[]): Promise<number>;
  /**
   * Keeps entries claimed by `consumer` while its handlers run (resets their idle
   * time). Resolves to those it no longer holds (another consumer claimed them).
   */
  touch(ref: GroupRef, consumer: string, entries: readonly EntryRef[]): Promise<EntryRef[]>;
  /**
   * Counts another delivery of an entry `consumer` holds and that failed (before it
   * runs again), records the failure (keeping the first one's time), and resets its
   * idle time. Resolves to false when the consumer no longer holds it.
   */
  redeliver(
    ref: GroupRef,
    consumer: string,
    entry: EntryRef,
    deliveries: number,
    failure: RecordedFailure,
  ): Promise<boolean>;
  /** Claims entries idle for `minIdleMs` on any consumer, counting a delivery each. */
  claimIdle(ref: GroupRef, query: ClaimQuery): Promise<ClaimResult>;
  /**
   * Moves an entry to the group's dead letters with why it failed, and acknowledges
   * it (forgetting its recorded failures), in one step. Resolves to the dead letter's ID, or null when the entry was no
   * longer pending (another consumer finished or moved it).
   */
  deadLetter(ref: GroupRef, entry: GroupEntry, failure: DeadLetterFailure): Promise<Cursor | null>;
  /** The group's dead letters, oldest first, after `after` (exclusive). */
  deadLetters(ref: GroupRef, query: { readonly after?: Cursor; readonly limit: number }): Promise<DeadLetter[]>;
  /** Puts dead letters back for the group to process again; resolves to how many moved. */
  redrive(ref: GroupRef, ids: readonly Cursor[] | 'all'): Promise<number>;
  /** Deletes dead letters for good; resolves to how many there were. */
  discard(ref: GroupRef, ids: readonly Cursor[] | 'all'): Promise<number>;
  /** The group's figures, or null when it does not exist. */
  groupInfo(ref: GroupRef): Promise<GroupInfo | null>;
  /**
   * Removes consumers idle for `idleMs` that hold no pending entry, each checked and
   * removed in one step (a consumer that holds entries is never removed: they would
   * become unclaimable). `keep` is never removed. Resolves to the names removed.
   */
  removeIdleConsumers(ref: GroupRef, idleMs: number, keep: string): Promise<string[]>;
}
