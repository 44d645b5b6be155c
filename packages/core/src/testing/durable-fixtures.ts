import { expect, it } from 'vitest';
import { ReplayWindowExpiredError, StreamResetError } from '../errors.js';
import type {
  DurableAppend,
  DurableCreate,
  DurableFork,
  DurableStreamConfig,
  DurableStreamRef,
  DurableStreamStore,
  ProducerClaim,
  StoredDurableMessage,
} from '../store/durable-stream-store.js';
import type { Cursor } from '../types.js';
import type { ConformanceContext } from './context.js';

/** What the durable-stream tests work with: the store's durable streams and the test's context. */
export interface DurableTestContext {
  readonly streams: DurableStreamStore;
  readonly context: ConformanceContext;
  /** A stream of the test, under its prefix. */
  ref(path: string): DurableStreamRef;
}

/**
 * Registers a test that runs when the store has `durableStreams` and is skipped when
 * it has none: the harness is made per test, so only then is it known.
 */
export function durableIt(
  ctx: () => ConformanceContext,
  name: string,
  test: (durable: DurableTestContext) => Promise<void>,
  timeout?: number,
): void {
  it(
    name,
    async ({ skip }) => {
      const context = ctx();
      const streams = context.harness.store.durableStreams;
      if (streams === undefined) return skip('the store has no durable streams (store.durableStreams)');
      await test({ streams, context, ref: (path) => ({ prefix: context.prefix, path }) });
    },
    timeout,
  );
}

export const JSON_TYPE = 'application/json';

export const KEEP_ALL = { maxLength: null, maxAgeMs: null } as const;

/** A create of a JSON stream without TTL or expiry, open and empty, but for `extra`. */
export function createOf(config: Partial<DurableStreamConfig> = {}, extra: Partial<DurableCreate> = {}): DurableCreate {
  return {
    retention: KEEP_ALL,
    config: { contentType: JSON_TYPE, ttlSeconds: null, expiresAt: null, ...config },
    closed: false,
    messages: [],
    ...extra,
  };
}

/** A fork of `source` at its tail, inheriting its content type and expiry, open and without a body, but for `extra`. */
export function forkOf(source: string, extra: Partial<DurableFork> = {}): DurableFork {
  return {
    retention: KEEP_ALL,
    source,
    offset: null,
    subOffset: 0,
    contentType: null,
    ttlSeconds: null,
    expiresAt: null,
    closed: false,
    messages: [],
    maxMessages: 100_000,
    ...extra,
  };
}

/** An append of these texts to a JSON stream, but for `extra`. */
export function appendOf(data: readonly string[], extra: Partial<DurableAppend> = {}): DurableAppend {
  return {
    retention: KEEP_ALL,
    messages: data.map((text) => ({ data: text, base64: false })),
    contentType: JSON_TYPE,
    close: false,
    streamSeq: null,
    producer: null,
    ...extra,
  };
}

/** A close-only append (no messages), as `extra` says otherwise. */
export function closeOf(extra: Partial<DurableAppend> = {}): DurableAppend {
  return appendOf([], { close: true, contentType: null, ...extra });
}

export const claim = (id: string, epoch: number, seq: number): ProducerClaim => ({ id, epoch, seq });

/** Every retained message after `after`, paging 100 at a time. */
export async function readAll(
  streams: DurableStreamStore,
  ref: DurableStreamRef,
  after: Cursor = '0-0',
): Promise<StoredDurableMessage[]> {
  const messages: StoredDurableMessage[] = [];
  let cursor = after;
  for (;;) {
    const page = await streams.read(ref, { after: cursor, limit: 100, blockMs: 0 });
    if (page === null) throw new Error(`durable stream ${ref.path} does not exist`);
    messages.push(...page.messages);
    const last = page.messages[page.messages.length - 1];
    if (last === undefined) return messages;
    cursor = last.id;
  }
}

/** The data of messages, for compact assertions. */
export const dataOf = (messages: readonly StoredDurableMessage[]): string[] => messages.map(({ data }) => data);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A result without its `info`, for exact comparisons of what a store answered. */
export function verdict<Result extends { readonly kind: string }>(result: Result): Omit<Result, 'info'> {
  const { info: _info, ...rest } = result as Result & { info?: unknown };
  return rest;
}

/** Expects `call` to fail as history that is gone (410), not as a stream that was reset. */
export async function expectGone(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ReplayWindowExpiredError);
  expect(error).not.toBeInstanceOf(StreamResetError);
}

/** Appends `count` JSON messages `"m0"` … in batches of 50; their IDs. */
export async function fill(streams: DurableStreamStore, ref: DurableStreamRef, count: number): Promise<Cursor[]> {
  for (let n = 0; n < count; n += 50) {
    const batch = Array.from({ length: Math.min(50, count - n) }, (_, k) => `"m${n + k}"`);
    await streams.append(ref, appendOf(batch));
  }
  return (await readAll(streams, ref)).map(({ id }) => id);
}
