/**
 * @module
 * `store.durableStreams` on Redis: the streams `@replayrail/durable-streams` serves
 * (docs/durable-streams.md). Each is five keys in one slot (durable-stream-scripts.ts
 * has the layout), created, appended to, read and deleted by one script each, so every
 * check of an append (closed, content type, the producer's epoch and sequence,
 * Stream-Seq) is atomic with it, and a page is read with the figures that decide
 * `410 Gone`. A live read waits as the store's event reads do (wakeups.ts), on two
 * keys: the messages, and the signal a close or a delete adds to. Forks are made in
 * steps across two slots (redis-durable-forks.ts).
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
  type DurableReadQuery,
  type DurableReadResult,
  type DurableStreamInfo,
  type DurableStreamRef,
  type DurableStreamStore,
  deletedStreamError,
  nextCursor,
  normaliseContentType,
} from '@replayrail/core/store';
import {
  type DurableStreamsHost,
  durableStreamKeys,
  infoOf,
  keyList,
  messageArgs,
  retentionArgs,
} from './durable-stream-keys.js';
import { DURABLE_APPEND, DURABLE_CREATE, DURABLE_DELETE, DURABLE_READ } from './durable-stream-scripts.js';
import { fieldsOf, type RawEntry } from './entry-fields.js';
import { busyWait, RedisDurableForks } from './redis-durable-forks.js';
import { figuresFromReply } from './scripts.js';

export class RedisDurableStreams implements DurableStreamStore {
  readonly #host: DurableStreamsHost;
  readonly #forks: RedisDurableForks;

  constructor(host: DurableStreamsHost) {
    this.#host = host;
    this.#forks = new RedisDurableForks(host);
  }

  async create(ref: DurableStreamRef, request: DurableCreate): Promise<DurableCreateResult> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    const keys = durableStreamKeys(ref);
    const { config } = request;
    const args = [
      crypto.randomUUID(),
      config.contentType,
      normaliseContentType(config.contentType),
      config.ttlSeconds === null ? '' : String(config.ttlSeconds),
      config.expiresAt === null ? '' : String(config.expiresAt),
      request.closed ? '1' : '',
      ...retentionArgs(request.retention),
      ...messageArgs(request.messages),
    ];
    const wait = busyWait(ref.path);
    for (;;) {
      const reply = (await this.#host.script(DURABLE_CREATE, keyList(keys), args, 'durable stream create', {
        path: ref.path,
      })) as unknown[];
      const kind = String(reply[0]);
      // A fork being copied in here: its create answers once it is made.
      if (kind === 'busy') {
        await wait();
        continue;
      }
      // A tombstone whose forks are all gone goes: the path is free again.
      if (kind === 'deleted' && (await this.#forks.settle(ref, reply.slice(7)))) continue;
      return { kind: kind as DurableCreateResult['kind'], info: infoOf(reply, 1) };
    }
  }

  async fork(ref: DurableStreamRef, request: DurableFork): Promise<DurableForkResult> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    assertDurableFork(request);
    return this.#forks.fork(ref, request);
  }

  async append(ref: DurableStreamRef, request: DurableAppend): Promise<DurableAppendResult> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    assertDurableAppend(request);
    const keys = durableStreamKeys(ref);
    const { producer } = request;
    const reply = (await this.#host.script(
      DURABLE_APPEND,
      keyList(keys),
      [
        request.messages.length > 0 && request.contentType !== null ? normaliseContentType(request.contentType) : '',
        request.close ? '1' : '',
        request.streamSeq ?? '',
        producer?.id ?? '',
        producer === null ? '0' : String(producer.epoch),
        producer === null ? '0' : String(producer.seq),
        ...retentionArgs(request.retention),
        (await this.#host.wakeChannel(keys.messages)) ?? '',
        (await this.#host.wakeChannel(keys.signal)) ?? '',
        ...messageArgs(request.messages),
      ],
      'durable stream append',
      { path: ref.path },
    )) as unknown[];
    const kind = String(reply[0]);
    if (kind === 'not-found') return { kind };
    if (kind === 'gone') throw deletedStreamError(ref.path);
    const info = infoOf(reply, 1);
    const extra = reply.slice(7).map(String);
    switch (kind) {
      case 'duplicate':
        return { kind, info, lastSeq: Number(extra[0]) };
      case 'stale-epoch':
        return { kind, info, epoch: Number(extra[0]) };
      case 'sequence-gap':
        return { kind, info, expected: Number(extra[0]), received: Number(extra[1]) };
      case 'stream-seq-regression':
        return { kind, info, last: extra[0] as string };
      default:
        return { kind: kind as 'appended' | 'closed' | 'content-type-mismatch' | 'epoch-seq', info };
    }
  }

  async read(ref: DurableStreamRef, query: DurableReadQuery): Promise<DurableReadResult | null> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    assertDurableRead(query);
    query.signal?.throwIfAborted();
    if (query.blockMs <= 0) return (await this.#page(ref, query, true)).result;
    const keys = durableStreamKeys(ref);
    const wakeups = await this.#host.wakeups();
    const deadline = Date.now() + query.blockMs;
    for (let renew = true; ; renew = false) {
      // Watched before the page is read: a message, a close or a delete after the
      // read then ends the wait. A sliding TTL starts over once per read.
      const [messages, signal] = await Promise.all([wakeups.watch(keys.messages), wakeups.watch(keys.signal)]);
      const { result, signalled } = await this.#page(ref, query, renew);
      const remaining = deadline - Date.now();
      // Nothing more can come at the end of a closed stream: no wait.
      if (result === null || result.messages.length > 0 || result.info.closed || remaining <= 0) return result;
      const settled = new AbortController();
      const stop = query.signal === undefined ? settled.signal : AbortSignal.any([query.signal, settled.signal]);
      const waits = [messages(query.after, remaining, stop), signal(signalled, remaining, stop)];
      try {
        await Promise.race(waits);
      } finally {
        settled.abort();
        for (const wait of waits) wait.catch(() => {}); // the one that lost ends aborted
      }
    }
  }

  async info(ref: DurableStreamRef): Promise<DurableStreamInfo | null> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    return (await this.#page(ref, { after: ZERO_CURSOR, limit: 1, blockMs: 0 }, false)).result?.info ?? null;
  }

  async delete(ref: DurableStreamRef): Promise<boolean> {
    this.#host.assertOpen();
    assertDurableRef(ref);
    const keys = durableStreamKeys(ref);
    const wake = (await this.#host.wakeChannel(keys.signal)) ?? '';
    for (let looked = false; ; looked = true) {
      const reply = (await this.#host.script(
        DURABLE_DELETE,
        keyList(keys),
        [wake, looked ? '1' : ''],
        'durable stream delete',
        { path: ref.path },
      )) as unknown[];
      const [kind, source, sourceId, id] = reply.map(String);
      switch (kind) {
        case 'absent':
          return false;
        case 'gone':
          // Deleted before; collected now if its forks are all gone.
          if (await this.#forks.settle(ref, reply.slice(1))) return false;
          throw deletedStreamError(ref.path);
        case 'forks':
          // Forks that no longer exist are released first: only live ones keep a tombstone.
          await this.#forks.settle(ref, reply.slice(1));
          continue;
        case 'soft':
          return true;
        default:
          // A fork releases its source, which goes too if it is a tombstone left without forks.
          if (source !== '')
            await this.#forks.release({ prefix: ref.prefix, path: source as string }, sourceId as string, [
              [ref.path, id as string],
            ]);
          return true;
      }
    }
  }

  // One page with the info and the figures that decide whether it is complete, and
  // the signal's last ID (what a wait for a close or a delete waits past).
  async #page(
    ref: DurableStreamRef,
    query: DurableReadQuery,
    renew: boolean,
  ): Promise<{ result: DurableReadResult | null; signalled: Cursor }> {
    const keys = durableStreamKeys(ref);
    const after = query.after;
    const reply = (await this.#host.script(
      DURABLE_READ,
      keyList(keys),
      [after, nextCursor(after), String(query.limit), renew ? '1' : ''],
      'durable stream read',
      { path: ref.path, after },
    )) as unknown[];
    if (reply[0] === 2) throw deletedStreamError(ref.path);
    if (reply[0] !== 1) return { result: null, signalled: String(reply[1]) };
    const info = infoOf(reply, 1);
    const figures = reply.slice(7, 13);
    const signalled = String(reply[14]);
    // No message was ever stored: nothing to check, nothing to read.
    if (Number(figures[0]) < 0) return { result: { info, messages: [] }, signalled };
    const present = figures[5] === 1;
    assertReplayable(ref.path, after, figuresFromReply([1, ...figures, []], after !== ZERO_CURSOR && present));
    const page = reply[13] as RawEntry[];
    const messages = page.map(([id, raw]) => {
      const fields = fieldsOf(raw);
      return { id, data: fields.d ?? '', base64: fields.b === '1' };
    });
    return { result: { info, messages }, signalled };
  }
}
