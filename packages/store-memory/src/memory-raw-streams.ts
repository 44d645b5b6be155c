/**
 * @module
 * `store.raw` in memory: streams whose entries are fields in a layout of their own
 * (`@replayrail/rpc`'s commands and replies), with what Redis does for them: an
 * append that may require the stream to exist (`NOMKSTREAM`), a stream that expires
 * unless kept (`PEXPIRE`), reads that wait for the next append.
 */

import type { Cursor } from '@replayrail/core';
import { compareCursors } from '@replayrail/core/cursor';
import type { RawAppendOptions, RawStreamEntry, RawStreams, ReadQuery, StreamRef } from '@replayrail/core/store';

/** What the raw streams need of the memory store. */
export interface MemoryRawHost {
  streamKey(stream: StreamRef): string;
  /** The stream's entries, oldest first, or undefined when it does not exist. */
  entries(key: string): readonly RawStreamEntry[] | undefined;
  /** Makes the stream exist, empty when it did not. */
  ensure(key: string): void;
  /** Appends (trimming to about `maxLength`); resolves to the new ID. */
  append(key: string, fields: Readonly<Record<string, string>>, maxLength: number | null): Cursor;
  deleteStream(key: string): void;
  /** Resolves on the next append to `key`, after `timeoutMs`, or on close; rejects on abort. */
  nextAppend(key: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void>;
  readonly now: () => number;
  assertOpen(): void;
}

export class MemoryRawStreams implements RawStreams {
  readonly #host: MemoryRawHost;
  // When a kept stream expires (epoch ms, by the store's clock).
  readonly #expiry = new Map<string, number>();

  constructor(host: MemoryRawHost) {
    this.#host = host;
  }

  keyOf(stream: StreamRef): string {
    return this.#host.streamKey(stream);
  }

  streamOf(key: string, prefix: string): StreamRef | undefined {
    const channel = key.startsWith(`${prefix}:`) ? key.slice(prefix.length + 1) : '';
    return channel === '' ? undefined : { prefix, channel };
  }

  async append(
    stream: StreamRef,
    fields: Readonly<Record<string, string>>,
    options: RawAppendOptions = {},
  ): Promise<Cursor | null> {
    this.#host.assertOpen();
    const key = this.#live(stream);
    if (options.mustExist === true && this.#host.entries(key) === undefined) return null;
    return this.#host.append(key, fields, options.maxLength ?? null);
  }

  async read(stream: StreamRef, query: ReadQuery): Promise<RawStreamEntry[]> {
    this.#host.assertOpen();
    query.signal?.throwIfAborted();
    const deadline = Date.now() + query.blockMs;
    for (;;) {
      const key = this.#live(stream);
      const after = (this.#host.entries(key) ?? []).filter((entry) => compareCursors(entry.id, query.after) > 0);
      const remaining = deadline - Date.now();
      if (after.length > 0 || remaining <= 0)
        return after.slice(0, query.limit).map(({ id, fields }) => ({ id, fields }));
      await this.#host.nextAppend(key, remaining, query.signal);
    }
  }

  async keep(stream: StreamRef, ttlMs: number): Promise<void> {
    this.#host.assertOpen();
    const key = this.#live(stream);
    this.#host.ensure(key);
    this.#expiry.set(key, this.#host.now() + ttlMs);
  }

  async delete(stream: StreamRef): Promise<void> {
    this.#host.assertOpen();
    const key = this.keyOf(stream);
    this.#expiry.delete(key);
    this.#host.deleteStream(key);
  }

  // The stream's key, its stream gone first if it has expired (as Redis expires keys on access).
  #live(stream: StreamRef): string {
    const key = this.keyOf(stream);
    const expiresAt = this.#expiry.get(key);
    if (expiresAt !== undefined && expiresAt <= this.#host.now()) {
      this.#expiry.delete(key);
      this.#host.deleteStream(key);
    }
    return key;
  }
}
