/**
 * @module
 * Durable streams in memory (`store.durableStreams`, docs/durable-streams.md): each
 * stream's messages, with IDs made as the memory store makes its entries' (`<ms>-<seq>`
 * by the store's clock), beside its configuration, closure, last `Stream-Seq` and its
 * producers' epochs and sequences. Every method checks and writes with no `await` in
 * between, so an append's checks and its write are one step, as the Redis script's
 * are. Expiry is lazy, as Redis's is: a stream past its time goes when next touched.
 * A fork copies its source's messages when it is made (memory-durable-forks.ts); the
 * source counts its live forks, so deleting it while it has some leaves a tombstone.
 */

import type { Cursor } from '@replayrail/core';
import { ZERO_CURSOR } from '@replayrail/core/cursor';
import {
  assertDurableAppend,
  assertDurableFork,
  assertDurableRead,
  assertDurableRef,
  assertReplayable,
  type DurableAppend,
  type DurableAppendResult,
  type DurableCreate,
  type DurableCreateResult,
  type DurableFork,
  type DurableForkResult,
  type DurableMessage,
  type DurableReadQuery,
  type DurableReadResult,
  type DurableRetention,
  type DurableStreamConfig,
  type DurableStreamInfo,
  type DurableStreamRef,
  type DurableStreamStore,
  deletedStreamError,
  forkExpiry,
  normaliseContentType,
  type ProducerClaim,
  type StoredDurableMessage,
} from '@replayrail/core/store';
import { type ForkOrigin, forkStart, sameFork } from './memory-durable-forks.js';

interface ProducerState {
  readonly epoch: number;
  readonly lastSeq: number;
}

interface DurableStream {
  /** Unique to this incarnation of the path. */
  readonly id: string;
  readonly config: DurableStreamConfig;
  readonly messages: StoredDurableMessage[];
  /** Messages ever appended: more than `messages.length` means retention trimmed some. */
  appended: number;
  tail: Cursor;
  closed: boolean;
  /** The claim whose append closed the stream: its retry is a duplicate, not a refusal. */
  closedBy: ProducerClaim | null;
  streamSeq: string | null;
  readonly producers: Map<string, ProducerState>;
  /** When a sliding TTL last started over, by the store's clock. */
  touchedAt: number;
  /** Set on a fork: its source, and what its create asked. */
  readonly origin: ForkOrigin | null;
  /** Its live forks: key → incarnation id. */
  readonly forks: Map<string, string>;
  /** Deleted while it had forks: a tombstone (no messages, no producers) until they are gone. */
  deleted: boolean;
}

/** What the durable streams need from the store they belong to. */
export interface MemoryDurableHost {
  /** The next message ID after `last`, by the store's clock. */
  nextId(last: Cursor): Cursor;
  /** Index of the first message with an ID greater than `cursor` (or equal, with `inclusive`). */
  indexAfter(messages: readonly { readonly id: Cursor }[], cursor: Cursor, inclusive: boolean): number;
  now(): number;
  /** Resolves on the next `wake(key)`, after `timeoutMs`, or on close; rejects on abort. */
  nextAppend(key: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void>;
  wake(key: string): void;
  assertOpen(): void;
}

// Byte-wise order of the UTF-8 encodings, which is code point order (UTF-16 code
// units order differently above U+FFFF).
function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(j) as number;
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  // Equal up to the shorter one: the shorter comes first.
  return Number(i < a.length) - Number(j < b.length);
}

type ProducerVerdict =
  | { readonly kind: 'accept'; readonly state: ProducerState }
  | { readonly kind: 'duplicate'; readonly lastSeq: number }
  | { readonly kind: 'stale-epoch'; readonly epoch: number }
  | { readonly kind: 'epoch-seq' }
  | { readonly kind: 'sequence-gap'; readonly expected: number; readonly received: number };

// The protocol's rules (5.2.1): epochs fence, each epoch counts its batches from 0.
function judgeProducer(state: ProducerState | undefined, claim: ProducerClaim): ProducerVerdict {
  const accept = { kind: 'accept', state: { epoch: claim.epoch, lastSeq: claim.seq } } as const;
  if (state === undefined) {
    return claim.seq === 0 ? accept : { kind: 'sequence-gap', expected: 0, received: claim.seq };
  }
  if (claim.epoch < state.epoch) return { kind: 'stale-epoch', epoch: state.epoch };
  if (claim.epoch > state.epoch) return claim.seq === 0 ? accept : { kind: 'epoch-seq' };
  if (claim.seq <= state.lastSeq) return { kind: 'duplicate', lastSeq: state.lastSeq };
  if (claim.seq === state.lastSeq + 1) return accept;
  return { kind: 'sequence-gap', expected: state.lastSeq + 1, received: claim.seq };
}

function sameClaim(a: ProducerClaim, b: ProducerClaim | null): boolean {
  return b !== null && a.id === b.id && a.epoch === b.epoch && a.seq === b.seq;
}

function sameConfig(a: DurableStreamConfig, b: DurableStreamConfig): boolean {
  return (
    normaliseContentType(a.contentType) === normaliseContentType(b.contentType) &&
    a.ttlSeconds === b.ttlSeconds &&
    a.expiresAt === b.expiresAt
  );
}

function infoOf(stream: DurableStream): DurableStreamInfo {
  return { id: stream.id, ...stream.config, closed: stream.closed, tail: stream.tail };
}

/**
 * `store.durableStreams` of `MemoryEventStore`. Beyond the interface's contract:
 * - an append that finds the stream (whatever it answers) starts a sliding TTL over,
 *   as the reference server's does; a create that finds it does not;
 * - a close-only append to a closed stream answers `closed` (unless it is the closing
 *   producer's retry: `duplicate`), which the HTTP layer answers 204;
 * - `Stream-Seq` is checked and kept on a close-only append too;
 * - retention trims only when messages are added (as XADD's trim), exactly by age and,
 *   by length, once a tenth more than `maxLength` has piled up (`MAXLEN ~`);
 * - a read at the end of a closed stream returns at once: nothing more can come;
 * - a fork holds its source's message objects (frozen), not copies of their data;
 * - refused with `InvalidRequestError`, changing nothing: a path that is empty, longer
 *   than 1024 characters or holds NUL; a producer id that is empty or longer than 256
 *   characters; an epoch or seq that is not an integer in 0 … 2^53 - 1; an append with
 *   no messages that does not close; a read's limit below 1 or negative blockMs.
 */
export class MemoryDurableStreams implements DurableStreamStore {
  readonly #host: MemoryDurableHost;
  // `<prefix>\0<path>` (a path holds no NUL) → the stream; also the key its readers wait on.
  readonly #streams = new Map<string, DurableStream>();

  constructor(host: MemoryDurableHost) {
    this.#host = host;
  }

  async create(ref: DurableStreamRef, request: DurableCreate): Promise<DurableCreateResult> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    const key = keyOf(ref);
    const existing = this.#present(key);
    if (existing !== undefined) {
      if (existing.deleted) return { kind: 'deleted', info: infoOf(existing) };
      // A fork is not what a create makes: a create of a fork's path conflicts.
      const same =
        existing.origin === null && sameConfig(existing.config, request.config) && existing.closed === request.closed;
      return { kind: same ? 'exists' : 'conflict', info: infoOf(existing) };
    }
    const { contentType, ttlSeconds, expiresAt } = request.config;
    const stream = this.#newStream({ contentType, ttlSeconds, expiresAt }, request.closed, null, []);
    this.#streams.set(key, stream);
    this.#write(stream, request.messages, request.retention);
    return { kind: 'created', info: infoOf(stream) };
  }

  async fork(ref: DurableStreamRef, request: DurableFork): Promise<DurableForkResult> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    assertDurableFork(request);
    const key = keyOf(ref);
    const existing = this.#present(key);
    if (existing !== undefined) {
      if (existing.deleted) return { kind: 'deleted', info: infoOf(existing) };
      const same = sameFork(existing.origin, existing.config, existing.closed, request);
      return { kind: same ? 'exists' : 'conflict', info: infoOf(existing) };
    }
    const sourceKey = keyOf({ prefix: ref.prefix, path: request.source });
    const source = this.#live(sourceKey);
    if (source === undefined) return { kind: 'source-not-found' };
    if (source.deleted) return { kind: 'source-deleted' };
    const start = forkStart(source, request, (messages, cursor) => this.#host.indexAfter(messages, cursor, false));
    if ('kind' in start) return start;
    const inherited = { ttlSeconds: source.config.ttlSeconds, expiresAt: source.config.expiresAt };
    const config = { contentType: request.contentType ?? source.config.contentType, ...forkExpiry(request, inherited) };
    const origin: ForkOrigin = {
      sourceKey,
      source: request.source,
      sourceId: source.id,
      offset: start.offset,
      subOffset: request.subOffset,
      inherited,
    };
    const stream = this.#newStream(config, request.closed, origin, start.messages);
    stream.appended = start.messages.length + (start.trimmed ? 1 : 0);
    stream.tail = start.tail;
    source.forks.set(key, stream.id);
    this.#streams.set(key, stream);
    this.#write(stream, request.messages, request.retention);
    return { kind: 'created', info: infoOf(stream) };
  }

  async append(ref: DurableStreamRef, request: DurableAppend): Promise<DurableAppendResult> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    assertDurableAppend(request);
    const key = keyOf(ref);
    const stream = this.#live(key);
    if (stream === undefined) return { kind: 'not-found' };
    if (stream.deleted) throw deletedStreamError(ref.path);
    stream.touchedAt = this.#host.now();
    const info = infoOf(stream);
    const claim = request.producer;
    // The spec's precedence: closed, then content type, then the producer, then Stream-Seq
    // (after the producer, so a retry carrying its old Stream-Seq is still a duplicate).
    if (stream.closed) {
      if (claim !== null && sameClaim(claim, stream.closedBy)) return { kind: 'duplicate', info, lastSeq: claim.seq };
      return { kind: 'closed', info };
    }
    if (
      request.messages.length > 0 &&
      request.contentType !== null &&
      normaliseContentType(request.contentType) !== normaliseContentType(stream.config.contentType)
    ) {
      return { kind: 'content-type-mismatch', info };
    }
    const verdict = claim === null ? null : judgeProducer(stream.producers.get(claim.id), claim);
    if (verdict !== null && verdict.kind !== 'accept') return { ...verdict, info };
    if (
      request.streamSeq !== null &&
      stream.streamSeq !== null &&
      compareCodePoints(request.streamSeq, stream.streamSeq) <= 0
    ) {
      return { kind: 'stream-seq-regression', info, last: stream.streamSeq };
    }

    this.#write(stream, request.messages, request.retention);
    if (claim !== null && verdict !== null) stream.producers.set(claim.id, verdict.state);
    if (request.streamSeq !== null) stream.streamSeq = request.streamSeq;
    if (request.close) {
      stream.closed = true;
      stream.closedBy = claim;
    }
    // Readers wake for a close too: a read at the end of a closed stream ends.
    this.#host.wake(key);
    return { kind: 'appended', info: infoOf(stream) };
  }

  async read(ref: DurableStreamRef, query: DurableReadQuery): Promise<DurableReadResult | null> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    assertDurableRead(query);
    query.signal?.throwIfAborted();
    const key = keyOf(ref);
    const deadline = Date.now() + query.blockMs;
    for (;;) {
      // Again on every wake-up: the stream may have been deleted, expired or trimmed.
      const stream = this.#live(key);
      if (stream === undefined) return null;
      if (stream.deleted) throw deletedStreamError(ref.path);
      stream.touchedAt = this.#host.now();
      const messages = this.#page(ref.path, stream, query);
      const remaining = deadline - Date.now();
      if (messages.length > 0 || stream.closed || remaining <= 0) return { messages, info: infoOf(stream) };
      await this.#host.nextAppend(key, remaining, query.signal);
    }
  }

  async info(ref: DurableStreamRef): Promise<DurableStreamInfo | null> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    const stream = this.#live(keyOf(ref));
    if (stream?.deleted) throw deletedStreamError(ref.path);
    return stream === undefined ? null : infoOf(stream);
  }

  async delete(ref: DurableStreamRef): Promise<boolean> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    const key = keyOf(ref);
    const stream = this.#present(key);
    if (stream === undefined) return false;
    if (stream.deleted) throw deletedStreamError(ref.path);
    // Forks past their time go first, releasing this stream.
    for (const fork of [...stream.forks.keys()]) this.#live(fork);
    if (stream.forks.size === 0) {
      this.#drop(key, stream);
      return true;
    }
    // Its forks hold copies of what they inherited: only the tombstone stays.
    stream.deleted = true;
    stream.messages.splice(0);
    stream.producers.clear();
    this.#host.wake(key);
    return true;
  }

  #newStream(
    config: DurableStreamConfig,
    closed: boolean,
    origin: ForkOrigin | null,
    messages: readonly StoredDurableMessage[],
  ): DurableStream {
    return {
      id: crypto.randomUUID(),
      config,
      messages: [...messages],
      appended: 0,
      tail: ZERO_CURSOR,
      closed,
      closedBy: null,
      streamSeq: null,
      producers: new Map(),
      touchedAt: this.#host.now(),
      origin,
      forks: new Map(),
      deleted: false,
    };
  }

  #write(stream: DurableStream, messages: readonly DurableMessage[], retention: DurableRetention): void {
    if (messages.length === 0) return;
    for (const { data, base64 } of messages) {
      const id = this.#host.nextId(stream.tail);
      stream.messages.push(Object.freeze({ id, data, base64 }));
      stream.tail = id;
    }
    stream.appended += messages.length;
    const { maxLength, maxAgeMs } = retention;
    // As the event streams' `~`: shifting the array once per tenth, not once per append.
    const slack = Math.floor((maxLength ?? 0) / 10);
    if (maxLength !== null && stream.messages.length > maxLength + slack) {
      stream.messages.splice(0, stream.messages.length - maxLength);
    }
    if (maxAgeMs !== null) {
      const minId = `${Math.max(0, Math.floor(this.#host.now()) - maxAgeMs)}-0`;
      const older = this.#host.indexAfter(stream.messages, minId, true);
      // The message just appended stays, however old the clock makes it look.
      stream.messages.splice(0, Math.min(older, stream.messages.length - 1));
    }
  }

  // The page after `query.after`, or ReplayWindowExpiredError when a message after it
  // was trimmed: the event streams' rule, with the figures this stream keeps.
  #page(path: string, stream: DurableStream, query: DurableReadQuery): StoredDurableMessage[] {
    const { messages } = stream;
    const index = this.#host.indexAfter(messages, query.after, true);
    const present = messages[index]?.id === query.after;
    assertReplayable(path, query.after, {
      exists: true,
      length: messages.length,
      entriesAdded: stream.appended,
      firstId: messages[0]?.id ?? null,
      lastGeneratedId: stream.tail,
      // Nothing deletes single messages: only retention removes them.
      maxDeletedId: ZERO_CURSOR,
      cursorPresent: present,
    });
    const start = present ? index + 1 : index;
    return messages.slice(start, start + query.limit);
  }

  // The stream at `key`, unless it is missing or expired (then dropped, its readers woken).
  #live(key: string): DurableStream | undefined {
    const stream = this.#streams.get(key);
    if (stream === undefined) return undefined;
    const now = this.#host.now();
    const { ttlSeconds, expiresAt } = stream.config;
    const expired =
      (expiresAt !== null && now >= expiresAt) || (ttlSeconds !== null && now >= stream.touchedAt + ttlSeconds * 1000);
    if (!expired) return stream;
    this.#drop(key, stream);
    return undefined;
  }

  // As #live, but a tombstone's forks are looked at first: those past their time go,
  // and a tombstone they leave without forks goes with them.
  #present(key: string): DurableStream | undefined {
    const stream = this.#live(key);
    if (stream === undefined || !stream.deleted) return stream;
    for (const fork of [...stream.forks.keys()]) this.#live(fork);
    return this.#live(key);
  }

  // Removes a stream for good, wakes its readers, and releases its source if it is a fork.
  #drop(key: string, stream: DurableStream): void {
    this.#streams.delete(key);
    this.#host.wake(key);
    const origin = stream.origin;
    if (origin === null) return;
    const source = this.#streams.get(origin.sourceKey);
    // Another incarnation of the source's path never counted this fork.
    if (source === undefined || source.id !== origin.sourceId || source.forks.get(key) !== stream.id) return;
    source.forks.delete(key);
    // The last fork of a deleted source: the tombstone goes too, and so up the chain.
    if (source.deleted && source.forks.size === 0) this.#drop(origin.sourceKey, source);
  }
}

function keyOf(ref: DurableStreamRef): string {
  return `${ref.prefix}\0${ref.path}`;
}
