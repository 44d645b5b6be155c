/**
 * @module
 * Forks of durable streams on Redis (docs/durable-streams.md, "Forks"). A fork copies
 * its source's messages up to its offset, with their IDs, into a stream of its own; a
 * source counts its live forks in its forks hash. A fork and its source hash to
 * different slots (on a cluster, often different nodes), so a fork is made in steps,
 * each one script in one slot (durable-fork-scripts.ts):
 *
 * 1. the fork's path is claimed (or found: an identical fork is `exists`, another stream `conflict`);
 * 2. the source checks the request and counts the fork in, with the first page;
 * 3. further pages are read from the source and written to the fork, with their IDs;
 * 4. the fork is finished: its info written, its first body appended.
 *
 * A step that fails undoes the others: the claim is dropped and the source's count
 * released. What a crash leaves is undone by time: the claim's lease runs out, and a
 * source counts only forks that exist or are being made (it looks before its count
 * decides anything: a delete, a create of its path).
 */

import type { Cursor } from '@replayrail/core';
import { compareCursors, ZERO_CURSOR } from '@replayrail/core/cursor';
import { StoreError, StoreUnavailableError } from '@replayrail/core/errors';
import {
  type DurableFork,
  type DurableForkResult,
  type DurableMessage,
  type DurableStreamRef,
  forkExpiry,
  messagePrefix,
  normaliseContentType,
} from '@replayrail/core/store';
import {
  FORK_ABORT,
  FORK_CLAIM,
  FORK_DROP,
  FORK_FINISH,
  FORK_PAGE,
  FORK_TAKE,
  FORK_WRITE,
} from './durable-fork-scripts.js';
import {
  type DurableStreamsHost,
  durableStreamKeys,
  infoOf,
  keyList,
  messageArgs,
  retentionArgs,
} from './durable-stream-keys.js';
import { fieldsOf, type RawEntry } from './entry-fields.js';
import type { Script } from './scripts.js';

/** Messages copied per step: a page of small messages in one round trip each way. */
const PAGE_SIZE = 256;
/** …and no more bytes than this per page (at least one message), whatever their size. */
const PAGE_BYTES = 4 * 1024 * 1024;
/** How long a claim holds a path without a step: a crashed copy frees it after this. */
export const CLAIM_LEASE_MS = 30_000;

/** A fork's path and id, as its source counts it. */
type ForkEntry = readonly [path: string, id: string];

type Refusal = Exclude<DurableForkResult, { readonly info: unknown }>;

/**
 * Waits while another fork is copied in at a path (a claim's `busy`), up to the
 * claim's lease: then `StoreUnavailableError` (503, retry).
 */
export function busyWait(path: string): () => Promise<void> {
  const deadline = Date.now() + CLAIM_LEASE_MS;
  let delay = 5;
  return async () => {
    if (Date.now() > deadline) {
      throw new StoreUnavailableError(`a fork is still being created at durable stream ${path}: retry`, {
        context: { path },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 200);
  };
}

function messageOf([id, raw]: RawEntry): { id: Cursor; message: DurableMessage } {
  const fields = fieldsOf(raw);
  return { id, message: { data: fields.d ?? '', base64: fields.b === '1' } };
}

/** The fork steps, and what a source's count needs: looking at its forks, releasing one. */
export class RedisDurableForks {
  readonly #host: DurableStreamsHost;

  constructor(host: DurableStreamsHost) {
    this.#host = host;
  }

  async fork(ref: DurableStreamRef, request: DurableFork): Promise<DurableForkResult> {
    const id = crypto.randomUUID();
    const found = await this.#claim(ref, request, id);
    if (found !== null) return found;
    const source = { prefix: ref.prefix, path: request.source };
    let counted: string | undefined;
    let finished = false;
    try {
      const taken = (await this.#run(FORK_TAKE, source, [
        ref.path,
        id,
        request.offset ?? '',
        String(request.subOffset),
        request.contentType === null ? '' : normaliseContentType(request.contentType),
        String(PAGE_SIZE),
        String(PAGE_BYTES),
        String(request.maxMessages),
      ])) as unknown[];
      if (taken[0] !== 'ok') return this.#refusal(taken, request);
      const [, sourceId, contentType, ttl, expiresAt, offset, last, trimmed, first] = taken.map(String) as string[];
      counted = sourceId as string;
      const copied = await this.#copy(ref, id, source, counted, last as Cursor, taken[10] as RawEntry[], request);
      if ('kind' in copied) return copied;
      let { written, lastWritten, firstWritten } = copied;
      const partial = taken[9] as RawEntry | [];
      if (partial.length === 2) {
        const { id: partialId, message } = messageOf(partial);
        written++;
        if (written > request.maxMessages) return { kind: 'too-many-messages', limit: request.maxMessages };
        await this.#write(ref, id, [[partialId, messagePrefix(message, request.subOffset)]]);
        lastWritten = partialId;
        firstWritten ??= partialId;
      }
      // History the source lost before what the fork copies is lost for the fork too
      // (a read of it from before is 410, as on the source); and the fork's tail is
      // never before its offset. Either sets the fork's figures (XSETID).
      const lost = trimmed === '1' && (written === 0 ? offset !== ZERO_CURSOR : firstWritten === first);
      const beyond = compareCursors(offset as Cursor, lastWritten) > 0;
      const figures =
        beyond || lost ? [beyond ? (offset as string) : lastWritten, String(written + (lost ? 1 : 0))] : ['', ''];
      const inherited = {
        ttlSeconds: ttl === '' ? null : Number(ttl),
        expiresAt: expiresAt === '' ? null : Number(expiresAt),
      };
      const expiry = forkExpiry(request, inherited);
      const type = request.contentType ?? (contentType as string);
      const reply = (await this.#run(FORK_FINISH, ref, [
        id,
        type,
        normaliseContentType(type),
        expiry.ttlSeconds === null ? '' : String(expiry.ttlSeconds),
        expiry.expiresAt === null ? '' : String(expiry.expiresAt),
        request.closed ? '1' : '',
        request.source,
        counted,
        offset as string,
        String(request.subOffset),
        ttl as string,
        expiresAt as string,
        ...figures,
        ...retentionArgs(request.retention),
        ...messageArgs(request.messages),
      ])) as unknown[];
      if (reply[0] !== 'created') throw this.#lostClaim(ref);
      finished = true;
      return { kind: 'created', info: infoOf(reply, 1) };
    } finally {
      if (!finished) await this.#undo(ref, id, source, counted);
    }
  }

  /**
   * Looks at the forks a source counts (its script's `forks…` reply: path, id, …) and
   * drops those that no longer exist (expired, or a copy abandoned); a tombstone left
   * without forks goes, up its chain. Resolves to whether the source itself went.
   */
  async settle(source: DurableStreamRef, forks: readonly unknown[]): Promise<boolean> {
    const entries: ForkEntry[] = [];
    for (let i = 0; i + 1 < forks.length; i += 2) entries.push([String(forks[i]), String(forks[i + 1])]);
    const alive = await Promise.all(entries.map(([path, id]) => this.#exists({ prefix: source.prefix, path }, id)));
    const gone = entries.filter((_, i) => !alive[i]);
    if (entries.length > 0 && gone.length === 0) return false;
    return this.release(source, '', gone);
  }

  /**
   * Drops `forks` from `source`'s count (only while it is the incarnation `sourceId`,
   * '' any); a tombstone left without forks is collected, and releases its own
   * source in turn. Resolves to whether `source` was collected.
   */
  async release(source: DurableStreamRef, sourceId: string, forks: readonly ForkEntry[]): Promise<boolean> {
    let target = source;
    let id = sourceId;
    let dropped = forks;
    for (let depth = 0; ; depth++) {
      const keys = durableStreamKeys(target);
      const reply = (await this.#host.script(
        FORK_DROP,
        keyList(keys),
        [id, (await this.#host.wakeChannel(keys.signal)) ?? '', ...dropped.flat()],
        'durable stream fork release',
        { path: target.path },
      )) as unknown[];
      if (reply[0] !== 'collected') return depth > 0;
      const [, parent, parentId, own] = reply.map(String) as string[];
      if (parent === '') return true;
      dropped = [[target.path, own as string]];
      target = { prefix: source.prefix, path: parent as string };
      id = parentId as string;
    }
  }

  // Step 1: the fork's path held for the copy, or what is there already.
  async #claim(ref: DurableStreamRef, request: DurableFork, id: string): Promise<DurableForkResult | null> {
    const ownExpiry = request.ttlSeconds !== null || request.expiresAt !== null;
    const wait = busyWait(ref.path);
    for (;;) {
      const reply = (await this.#run(FORK_CLAIM, ref, [
        id,
        String(CLAIM_LEASE_MS),
        request.source,
        request.offset ?? '',
        String(request.subOffset),
        request.contentType === null ? '' : normaliseContentType(request.contentType),
        ownExpiry ? '1' : '',
        request.ttlSeconds === null ? '' : String(request.ttlSeconds),
        request.expiresAt === null ? '' : String(request.expiresAt),
        request.closed ? '1' : '',
      ])) as unknown[];
      const kind = String(reply[0]);
      if (kind === 'claimed') return null;
      if (kind === 'busy') {
        await wait();
        continue;
      }
      // A tombstone whose forks are all gone goes: the path is free again.
      if (kind === 'deleted' && (await this.settle(ref, reply.slice(7)))) continue;
      return { kind: kind as 'exists' | 'conflict' | 'deleted', info: infoOf(reply, 1) };
    }
  }

  // Step 3: pages of the source after the first, up to `last`, written to the fork.
  async #copy(
    ref: DurableStreamRef,
    id: string,
    source: DurableStreamRef,
    sourceId: string,
    last: Cursor,
    firstPage: RawEntry[],
    request: DurableFork,
  ): Promise<{ written: number; lastWritten: Cursor; firstWritten: Cursor | undefined } | Refusal> {
    let page = firstPage;
    let written = 0;
    let lastWritten: Cursor = ZERO_CURSOR;
    const firstWritten = page[0]?.[0];
    while (page.length > 0) {
      written += page.length;
      if (written > request.maxMessages) return { kind: 'too-many-messages', limit: request.maxMessages };
      await this.#write(
        ref,
        id,
        page.map((entry) => {
          const { id: entryId, message } = messageOf(entry);
          return [entryId, message] as const;
        }),
      );
      lastWritten = (page[page.length - 1] as RawEntry)[0];
      if (lastWritten === last) break;
      const next = (await this.#run(FORK_PAGE, source, [
        sourceId,
        lastWritten,
        last,
        String(PAGE_SIZE),
        String(PAGE_BYTES),
      ])) as unknown[];
      if (next[0] !== 'ok')
        return { kind: String(next[0]) as 'source-not-found' | 'source-deleted' | 'source-trimmed' };
      page = next[1] as RawEntry[];
    }
    return { written, lastWritten, firstWritten };
  }

  async #write(ref: DurableStreamRef, id: string, messages: readonly (readonly [Cursor, DurableMessage])[]) {
    const args = messages.flatMap(([entryId, message]) => [entryId, message.data, message.base64 ? '1' : '']);
    const held = await this.#run(FORK_WRITE, ref, [id, String(CLAIM_LEASE_MS), ...args]);
    if (Number(held) !== 1) throw this.#lostClaim(ref);
  }

  // Whether a fork a source counts exists, or is being copied in (its claim holds).
  async #exists(fork: DurableStreamRef, id: string): Promise<boolean> {
    const key = durableStreamKeys(fork).info;
    const [own, pending] = (await this.#host.command(
      ['HMGET', key, 'id', 'pending'],
      key,
      'durable stream fork check',
      {
        path: fork.path,
      },
    )) as (string | null)[];
    return own === id || pending === id;
  }

  // Best effort: what an undo that fails leaves is undone by time (the claim's lease,
  // the source looking at its forks), and the failure that led here is the one to report.
  async #undo(ref: DurableStreamRef, id: string, source: DurableStreamRef, counted: string | undefined) {
    try {
      await this.#run(FORK_ABORT, ref, [id]);
      if (counted !== undefined) await this.release(source, counted, [[ref.path, id]]);
    } catch {
      // Left to time, as above.
    }
  }

  #refusal(reply: readonly unknown[], request: DurableFork): Refusal {
    const kind = String(reply[0]);
    switch (kind) {
      case 'content-type-mismatch':
        return { kind, sourceContentType: String(reply[1]) };
      case 'offset-beyond-tail':
        return { kind, tail: String(reply[1]) };
      case 'sub-offset-overshoot':
        return { kind, available: Number(reply[1]) };
      case 'too-many-messages':
        return { kind, limit: request.maxMessages };
      default:
        return { kind: kind as 'source-not-found' | 'source-deleted' };
    }
  }

  #lostClaim(ref: DurableStreamRef): StoreError {
    return new StoreError(
      `the fork at durable stream ${ref.path} lost its claim on the path (no step within ${CLAIM_LEASE_MS} ms): nothing was created`,
      { context: { path: ref.path } },
    );
  }

  #run(source: Script, ref: DurableStreamRef, args: string[]): Promise<unknown> {
    return this.#host.script(source, keyList(durableStreamKeys(ref)), args, 'durable stream fork', { path: ref.path });
  }
}
