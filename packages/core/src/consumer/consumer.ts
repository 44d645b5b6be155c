/**
 * @module
 * A durable consumer (docs/architecture.md, "Consumers"): a member of a consumer group that processes a
 * channel at least once. What it holds and why:
 *
 * - **Fetching.** One loop per channel reads new entries while the consumer holds
 *   fewer than `concurrency + prefetch`, in batches (it reads again once three
 *   quarters of that are free, or a handler slot would go idle). A read waits at most `blockMs`,
 *   and the store abandons a wait that gets no answer (a Redis connection that went
 *   silent), so a fetch loop never wedges; a failed read is reported and retried
 *   after a pause.
 * - **Handling.** At most `concurrency` handlers run at once; an entry is
 *   acknowledged only after its handler resolved, in one write with the others
 *   that finished within `ackWindowMs` (or up to `ackBatchSize` of them: ack-batcher.ts);
 *   a slot is free again as soon as its handler is, and the entry stays held (its
 *   claim kept) until the write is done. A throw
 *   is reported; the entry runs again after a backoff, its delivery count raised in
 *   the store first (a crash during the backoff still counts it); after
 *   `maxDeliveries` it goes to the dead letters, with the error, and is acknowledged
 *   there in the same step. An entry that cannot be decoded goes there at once.
 * - **Keeping claims.** Every `claimIdleMs / 3` the consumer touches every entry it
 *   holds (running, waiting for its key, or in a backoff), so another consumer never
 *   claims an entry whose handler is alive. An entry that was claimed all the same
 *   (the process stalled past `claimIdleMs`) is let go: its handler's signal is
 *   aborted and its result is not acknowledged.
 * - **Recovery.** Every `claimIdleMs / 2` it claims entries idle for `claimIdleMs`
 *   on any consumer of the group (one that died), reports pending entries that
 *   retention removed, and removes consumers idle for `removeIdleConsumersAfterMs`
 *   that hold nothing (one that holds entries never is).
 * - **Stopping.** `stop()` stops fetching and claiming, writes the acknowledgements
 *   waiting for their window, lets running handlers finish for up to `graceMs` (their
 *   entries acknowledged as they finish, without a window), leaves everything else
 *   pending for another consumer, and clears every timer it set.
 */

import { compareCursors } from '../cursor.js';
import {
  EntriesLostError,
  InternalError,
  InvalidRequestError,
  isReplayRailError,
  type ReplayRailError,
  toReplayRailError,
} from '../errors.js';
import type { PublishInput } from '../publish-input.js';
import type { GroupEntry, GroupInfo, GroupRef, GroupStore, RecordedFailure } from '../store/group-store.js';
import type { LineageMark } from '../store/lineage-store.js';
import type { ConsumerTelemetry } from '../telemetry/telemetry.js';
import type { Cursor, StoredEvent } from '../types.js';
import { AckBatcher } from './ack-batcher.js';
import { retryDelay } from './backoff.js';
import { Held, HeldEntries } from './held.js';
import { KeyLanes } from './key-lanes.js';
import type { HandlerContext, RawEntry, ResolvedConsumeOptions } from './options.js';

/** Options of `Consumer.stop`. */
export interface StopOptions {
  /** How long running handlers may take to finish, in ms. @default 10000 */
  graceMs?: number;
}

/** A consumer's figures for one channel. */
export interface ConsumerChannelStats {
  readonly channel: string;
  /** The group as the store sees it (pending, lag, dead letters, consumers), or null before `start()`. */
  readonly group: GroupInfo | null;
}

// Pauses after a failed read: 100 ms doubling to 5 s, so a store outage is not hammered.
const READ_RETRY_MS = 100;
const READ_RETRY_MAX_MS = 5_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * What a consumer reaches of its rail besides the group store: publishing the
 * effects its handlers publish, and marking an event's lineage (docs/lineage.md).
 */
export interface ConsumerRail {
  publish(input: PublishInput): Promise<StoredEvent>;
  /** Adds a mark to the lineage of `event` (on `channel`), if it has a correlation and the store an index. */
  mark(channel: string, event: StoredEvent, mark: LineageMark): Promise<void>;
}

// A handler's context: its signal is made only when asked for (see LazyAbort).
class AttemptContext implements HandlerContext {
  readonly channel: string;
  readonly group: string;
  readonly consumer: string;
  readonly attempt: number;
  readonly redriven: boolean;
  readonly #held: Held;
  readonly #rail: ConsumerRail;
  readonly #raw: boolean;

  constructor(consumer: string, held: Held, rail: ConsumerRail, raw: boolean) {
    this.channel = held.ref.channel;
    this.group = held.ref.group;
    this.consumer = consumer;
    this.attempt = held.entry.deliveries;
    this.redriven = held.entry.source === 'redrive';
    this.#held = held;
    this.#rail = rail;
    this.#raw = raw;
  }

  publish(input: Omit<PublishInput, 'causedBy'>): Promise<StoredEvent> {
    // A raw entry is not an event (an RPC command), even when it decodes as one.
    const cause = this.#raw ? undefined : this.#held.entry.event;
    if (cause === undefined) {
      return Promise.reject(
        new InvalidRequestError(
          "context.publish needs an event to name as the cause: a raw consumer's entries are not events",
        ),
      );
    }
    return this.#rail.publish({ ...input, causedBy: cause });
  }

  get signal(): AbortSignal {
    return this.#held.signal;
  }

  deadLetter(reason: Error | string): void {
    this.#held.condemned = reason instanceof Error ? reason : new Error(reason);
  }
}

// What a handler gets for an entry: the event (undefined when it cannot be decoded),
// or for a raw consumer the entry's stored fields.
function itemOf(held: Held, raw: boolean): StoredEvent | RawEntry | undefined {
  const { entry } = held;
  return raw ? { id: entry.origin, channel: held.ref.channel, fields: entry.fields } : entry.event;
}

// An entry with its new delivery count. Its event is read through the entry: a
// store's entry may decode it on first use, with a getter a spread would not carry
// over (a class, for the reason group-layout.ts gives).
class Redelivered implements GroupEntry {
  readonly id: Cursor;
  readonly source: GroupEntry['source'];
  readonly origin: Cursor;
  readonly fields: Readonly<Record<string, string>>;
  readonly failure: RecordedFailure | undefined;
  readonly deliveries: number;
  readonly #entry: GroupEntry;

  constructor(entry: GroupEntry, deliveries: number) {
    this.id = entry.id;
    this.source = entry.source;
    this.origin = entry.origin;
    this.fields = entry.fields;
    this.failure = entry.failure;
    this.deliveries = deliveries;
    this.#entry = entry;
  }

  get event(): StoredEvent | undefined {
    return this.#entry.event;
  }

  get error(): ReplayRailError | undefined {
    return this.#entry.error;
  }
}

export class Consumer {
  readonly #store: GroupStore;
  readonly #options: ResolvedConsumeOptions;
  readonly #refs: readonly GroupRef[];
  readonly #held = new HeldEntries();
  // Held entries whose turn it is (their key free), waiting for a handler slot.
  #ready: Held[] = [];
  readonly #lanes = new KeyLanes<Held>();
  // Handlers running now: at most `concurrency`.
  #handlersRunning = 0;
  readonly #acks: AckBatcher<Held>;
  // Attempts under way (waiting for a slot, running, or writing their outcome), and
  // what stop() waits on for them to end.
  #attempts = 0;
  #attemptsEnded: (() => void) | undefined;
  // Entries handled whose acknowledgement is not written yet.
  #acking = 0;
  // Resolves the fetch loops waiting for room to hold more entries.
  #roomFreed: (() => void) | undefined;
  #state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' = 'idle';
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #fetchers: Promise<void>[] = [];
  // Aborted by stop(): ends reads, backoffs and waits.
  #shutdown = new AbortController();
  #timers: ReturnType<typeof setInterval>[] = [];
  #janitorBusy = false;
  // Channels where entries may be pending on this consumer without it holding them:
  // given by a read, a claim or an acknowledgement whose answer it never got (a
  // timeout), or held before a restart under the same name. Looked for before the
  // next read.
  readonly #orphans = new Set<GroupRef>();

  readonly #telemetry: ConsumerTelemetry | undefined;

  readonly #rail: ConsumerRail;

  constructor(
    store: GroupStore,
    prefix: string,
    options: ResolvedConsumeOptions,
    rail: ConsumerRail,
    telemetry?: ConsumerTelemetry,
  ) {
    this.#store = store;
    this.#rail = rail;
    this.#options = options;
    this.#telemetry = telemetry;
    this.#refs = options.channels.map((channel) => ({ prefix, channel, group: options.group }));
    this.#acks = new AckBatcher<Held>(
      (ref, entries) => store.ack(ref, entries),
      (helds, error) => this.#acknowledged(helds, error),
      { windowMs: options.ackWindowMs, batchSize: options.ackBatchSize },
    );
  }

  /** This consumer's name in its group. */
  get name(): string {
    return this.#options.consumer;
  }

  /** The group it belongs to. */
  get group(): string {
    return this.#options.group;
  }

  /** Entries it holds now: running, fetched ahead (`prefetch`), waiting for their key, or waiting to run again. */
  get inFlight(): number {
    return this.#held.size;
  }

  /** Whether it fetches and handles now. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /**
   * Creates the group of each channel where it does not exist (at `start`), then
   * starts fetching. Resolves once it runs; safe to call twice.
   */
  start(): Promise<void> {
    if (this.#state === 'running') return Promise.resolve();
    if (this.#state === 'starting') return this.#starting as Promise<void>;
    if (this.#state === 'stopping') return (this.#stopping as Promise<void>).then(() => this.start());
    this.#state = 'starting';
    this.#shutdown = new AbortController();
    this.#starting = this.#createGroupsAndRun().catch((error: unknown) => {
      this.#state = 'idle';
      throw error;
    });
    return this.#starting;
  }

  /**
   * Stops fetching and claiming, waits up to `graceMs` for running handlers (what
   * finishes is acknowledged), leaves the rest pending for another consumer, and
   * clears its timers. Safe to call twice; resolves when it is stopped.
   */
  stop(options: StopOptions = {}): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping;
    if (this.#state === 'idle' || this.#state === 'stopped') return Promise.resolve();
    this.#stopping = this.#drain(options.graceMs ?? 10_000).finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  /** The group's figures on each channel, as the store sees them. */
  async stats(): Promise<ConsumerChannelStats[]> {
    return Promise.all(
      this.#refs.map(async (ref) => ({ channel: ref.channel, group: await this.#store.groupInfo(ref) })),
    );
  }

  // --- Starting and stopping

  async #createGroupsAndRun(): Promise<void> {
    for (const ref of this.#refs) await this.#store.createGroup(ref, this.#options.groupStart);
    this.#state = 'running';
    this.#acks.relax();
    this.#telemetry?.started(this);
    for (const ref of this.#refs) this.#orphans.add(ref);
    const signal = this.#shutdown.signal;
    this.#fetchers = this.#refs.map((ref) => this.#fetchLoop(ref, signal));
    const { claimIdleMs, removeIdleConsumersAfterMs } = this.#options;
    this.#timers = [
      setInterval(() => void this.#keepClaims(), Math.max(5, Math.floor(claimIdleMs / 3))),
      setInterval(
        () => void this.#janitor(),
        Math.max(5, Math.floor(Math.min(claimIdleMs, removeIdleConsumersAfterMs) / 2)),
      ),
    ];
    // Entries of consumers that died while none ran are recovered now, not a period later.
    void this.#janitor();
  }

  async #drain(graceMs: number): Promise<void> {
    if (this.#state === 'starting') await this.#starting?.catch(() => {});
    this.#state = 'stopping';
    this.#shutdown.abort(new Error('consumer stopped'));
    this.#wakeFetchers();
    this.#ready = []; // entries not started stay pending for another consumer
    // Acknowledgements waiting for their window are written now, and those of the
    // handlers still running as they finish: stop() returns with none left unwritten.
    this.#acks.hurry();
    await Promise.all(this.#fetchers);
    // Running handlers get their grace; the claims they hold are still kept meanwhile.
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, graceMs);
    });
    const ended = new Promise<void>((resolve) => {
      if (this.#attempts === 0) resolve();
      else this.#attemptsEnded = resolve;
    });
    await Promise.race([ended, grace]);
    this.#attemptsEnded = undefined;
    clearTimeout(graceTimer);
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    // What did not finish stays pending for another consumer; its handler is told.
    for (const held of this.#held.takeAll()) {
      held.lost = true; // a late result is not acknowledged: nothing touches the store after stop
      held.abort(new Error('consumer stopped'));
    }
    this.#lanes.clear();
    this.#telemetry?.stopped();
    this.#state = 'stopped';
  }

  // --- Fetching

  // Entries it may still take: at most `concurrency + prefetch` still to be
  // handled. Those handled and waiting for their acknowledgement to be written do
  // not count (the next read need not wait for that round trip), up to as many
  // again.
  #free(): number {
    const room = this.#options.concurrency + this.#options.prefetch;
    return Math.min(room - (this.#held.size - this.#acking), 2 * room - this.#held.size);
  }

  // Whether a read is worth its round trip: three quarters of the room are free
  // (reads come in batches, not one entry each time one finishes: a round trip
  // costs more CPU than handling an entry), or a handler slot would idle.
  #readyToRead(): boolean {
    const room = this.#options.concurrency + this.#options.prefetch;
    const free = this.#free();
    return (
      free >= Math.max(1, Math.ceil((room * 3) / 4)) ||
      (free > 0 && this.#held.size - this.#acking < this.#options.concurrency)
    );
  }

  #waitForRoom(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || this.#readyToRead()) {
        resolve();
        return;
      }
      this.#unblockRoom();
      const previous = this.#roomFreed;
      this.#roomFreed = () => {
        previous?.();
        resolve();
      };
    });
  }

  // Acknowledgements waiting for their window hold the room of a read once more
  // than `concurrency + prefetch` of them wait (#free): they are written now
  // (with a small prefetch the window would otherwise pace the reads).
  #unblockRoom(): void {
    if (this.#acking > this.#options.concurrency + this.#options.prefetch) this.#acks.flush();
  }

  // Wakes the fetch loops waiting for room, once there is (or the consumer stops):
  // not on every entry settled, which would cost a wasted turn of each loop.
  #wakeFetchers(): void {
    const wake = this.#roomFreed;
    if (wake === undefined) return;
    if (this.#state === 'running' && !this.#readyToRead()) {
      this.#unblockRoom();
      return;
    }
    this.#roomFreed = undefined;
    wake();
  }

  async #fetchLoop(ref: GroupRef, signal: AbortSignal): Promise<void> {
    let pause = READ_RETRY_MS;
    while (!signal.aborted) {
      await this.#waitForRoom(signal);
      if (signal.aborted) return;
      // Woken by any entry settled: not necessarily room enough for a read yet.
      if (!this.#readyToRead()) continue;
      const free = this.#free();
      try {
        if (this.#orphans.has(ref)) {
          await this.#adoptOrphans(ref, free);
          continue;
        }
        const read = await this.#store.readGroup(ref, {
          consumer: this.#options.consumer,
          limit: free,
          blockMs: this.#options.blockMs,
          signal,
        });
        pause = READ_RETRY_MS;
        if (read.lost !== null) {
          const { after, before, count } = read.lost;
          this.#options.onError(
            new EntriesLostError(
              `${count ?? 'some'} entries of ${ref.channel} were trimmed before group ${ref.group} read them (after ${after}${before === null ? '' : `, before ${before}`})`,
              { context: { channel: ref.channel, group: ref.group, after, before, count } },
            ),
          );
        }
        this.#telemetry?.received(ref.channel, read.entries.length);
        for (const entry of read.entries) this.#dispatch(ref, entry);
      } catch (error) {
        if (signal.aborted) return;
        this.#report(error);
        if (isReplayRailError(error, 'store_closed')) return;
        // The read may still have been carried out, after its answer was given up.
        this.#orphans.add(ref);
        await sleep(pause, signal);
        pause = Math.min(pause * 2, READ_RETRY_MAX_MS);
      }
    }
  }

  // --- Handling
  //
  // An entry's way: held (#dispatch), its turn under its key (KeyLanes), ready, a
  // handler slot (#pump, #takeUp), its handler (#run), then acknowledged in a batch
  // (#acknowledged), buried, or retried after a backoff (back to ready, keeping its
  // key's turn); it is let go (#release) when it is settled, lost, or the consumer
  // stops. One async step per attempt: a busy consumer's cost per entry is mostly
  // the handler's own.

  #dispatch(ref: GroupRef, entry: GroupEntry): void {
    const held = new Held(ref, entry);
    if (!this.#held.add(held)) return; // claimed back what it already holds
    const item = itemOf(held, this.#options.raw);
    if (item !== undefined && this.#options.orderingKey !== undefined) {
      try {
        held.key = (this.#options.orderingKey as (item: unknown) => string | null | undefined)(item) ?? undefined;
      } catch (error) {
        this.#report(error);
      }
    }
    if (!this.#lanes.enter(held.key, held)) {
      // After the entries of its key before it: the one whose turn it is may be done,
      // its acknowledgement waiting for the window, which this one must not wait out.
      this.#acks.flush(ref);
      return;
    }
    this.#ready.push(held);
    this.#pump();
  }

  // Starts what is ready, as far as the handler slots allow.
  #pump(): void {
    while (this.#handlersRunning < this.#options.concurrency && this.#state === 'running') {
      const held = this.#ready.shift();
      if (held === undefined) return;
      this.#takeUp(held);
    }
  }

  // A ready entry gets a handler slot: it runs, or (lost, undecodable, delivered too
  // often) it is released or buried without a run.
  #takeUp(held: Held): void {
    const { entry } = held;
    if (held.lost) {
      this.#release(held);
      return;
    }
    const item = itemOf(held, this.#options.raw);
    if (item === undefined) {
      const error = entry.error ?? new InternalError('entry cannot be decoded');
      void this.#bury(held, this.#failed(held, error), entry.deliveries).finally(() => this.#release(held));
      return;
    }
    // Delivered maxDeliveries times already without completing (the consumers that
    // had it crashed, or stopped during a backoff): dead, without another run, with
    // the last failure recorded (if the last delivery did not end in a crash first).
    if (entry.deliveries > this.#options.maxDeliveries) {
      const before = entry.deliveries - 1;
      const failure =
        held.failure ?? this.#failed(held, new InternalError(`delivered ${before} times without completing`));
      void this.#bury(held, failure, before).finally(() => this.#release(held));
      return;
    }
    void this.#run(held, item);
  }

  // One attempt: the handler in a slot, then its acknowledgement queued, or what
  // follows a failure. Counted in #attempts until its outcome is written: stop()
  // waits for that.
  async #run(held: Held, item: StoredEvent | RawEntry): Promise<void> {
    this.#handlersRunning++;
    this.#attempts++;
    let failure: ReplayRailError | undefined;
    const handler = this.#options.handler as (item: unknown, context: HandlerContext) => unknown;
    try {
      const attempt = new AttemptContext(this.#options.consumer, held, this.#rail, this.#options.raw);
      // The first delivery after a redrive: the event's lineage shows it.
      if (held.entry.source === 'redrive' && held.entry.deliveries === 1) this.#mark(held, 'redriven');
      // A raw consumer's owner traces its own work (an RPC server records RPC spans).
      if (this.#telemetry === undefined || this.#options.raw) await handler(item, attempt);
      else await this.#telemetry.handling(item as StoredEvent, held.entry.deliveries, () => handler(item, attempt));
    } catch (error) {
      failure = this.#handlerFailed(held, item.id, error);
    }
    this.#handlersRunning--;
    this.#pump();
    if (held.condemned !== undefined && !held.lost) {
      // The handler said it can never succeed: dead now, whatever it did after.
      await this.#bury(held, this.#failed(held, toReplayRailError(held.condemned)), held.entry.deliveries);
      this.#attemptEnded();
      this.#release(held);
      return;
    }
    if (failure === undefined && !held.lost) {
      this.#acking++;
      // The next entry of its key starts once this one is acknowledged: no window then.
      this.#acks.ack(held, this.#lanes.waits(held.key)); // #acknowledged ends the attempt
      this.#wakeFetchers();
      return;
    }
    let retry = false;
    try {
      if (failure !== undefined && !held.lost) retry = await this.#afterFailure(held, failure);
    } catch (error) {
      this.#report(error);
    } finally {
      this.#attemptEnded();
    }
    // stop() does not wait out a backoff: the entry stays pending if it comes first.
    if (retry) void this.#retryLater(held, held.failure as RecordedFailure);
    else this.#release(held);
  }

  // A batch of acknowledgements was written (or failed: its entries stay pending and
  // are looked for again, see #orphans).
  #acknowledged(helds: readonly Held[], error: unknown): void {
    if (error !== undefined) this.#lostTrack(helds[0]?.ref, error);
    for (const held of helds) {
      this.#acking--;
      this.#attemptEnded();
      this.#release(held);
    }
  }

  #attemptEnded(): void {
    if (--this.#attempts === 0) this.#attemptsEnded?.();
  }

  // A handler threw: recorded, and dead after maxDeliveries (false), else to be
  // retried (true).
  async #afterFailure(held: Held, failure: ReplayRailError): Promise<boolean> {
    const recorded = this.#failed(held, failure);
    if (held.entry.deliveries < this.#options.maxDeliveries) return true;
    await this.#bury(held, recorded, held.entry.deliveries);
    return false;
  }

  // Another attempt after the backoff, its delivery count raised in the store first.
  async #retryLater(held: Held, failure: RecordedFailure): Promise<void> {
    const { entry } = held;
    await sleep(retryDelay(entry.deliveries, this.#options.backoff), this.#shutdown.signal);
    if (held.lost || this.#state !== 'running') {
      this.#release(held); // stays pending for another consumer
      return;
    }
    const deliveries = entry.deliveries + 1;
    const kept = await this.#settle(
      () => this.#store.redeliver(held.ref, this.#options.consumer, entry, deliveries, failure),
      held.ref,
    );
    if (kept !== true || held.lost || this.#state !== 'running') {
      this.#release(held); // claimed by another consumer, or the store failed: it stays pending
      return;
    }
    held.entry = new Redelivered(entry, deliveries);
    this.#ready.push(held); // its key's turn is still its own
    this.#pump();
  }

  // Lets a held entry go: the next entry of its key gets its turn.
  #release(held: Held): void {
    this.#held.delete(held);
    const next = this.#lanes.leave(held.key);
    if (next !== undefined) {
      if (this.#state === 'running') this.#ready.push(next);
      this.#pump();
    }
    this.#wakeFetchers();
  }

  // What a handler threw, as the failure reported and recorded.
  #handlerFailed(held: Held, id: Cursor, error: unknown): ReplayRailError {
    const { entry, ref } = held;
    const failure = new InternalError(`handler failed on ${ref.channel} ${id} (attempt ${entry.deliveries})`, {
      cause: error,
      context: { channel: ref.channel, group: ref.group, id, attempt: entry.deliveries },
    });
    this.#options.onError(failure);
    return failure;
  }

  // Records a failure on the held entry: a handler's is what the handler threw, ours
  // are themselves; the first failure's time is kept.
  #failed(held: Held, error: ReplayRailError): RecordedFailure {
    const cause = error.code === 'internal_error' && error.cause instanceof Error ? error.cause : error;
    const now = Date.now();
    held.failure = {
      errorName: cause.name,
      errorMessage: cause.message,
      firstFailedAt: held.failure?.firstFailedAt ?? now,
      lastFailedAt: now,
    };
    return held.failure;
  }

  async #bury(held: Held, failure: RecordedFailure, attempts: number): Promise<void> {
    const buried = await this.#settle(
      () => this.#store.deadLetter(held.ref, held.entry, { ...failure, attempts, consumer: this.#options.consumer }),
      held.ref,
    );
    if (typeof buried === 'string') {
      this.#telemetry?.deadLettered(held.ref.channel);
      this.#mark(held, 'dead-lettered', failure.errorMessage);
    }
  }

  // Marks the held event's lineage, after the fact: a mark that cannot be written is
  // reported, and changes nothing else (docs/lineage.md).
  #mark(held: Held, kind: LineageMark['kind'], reason?: string): void {
    const event = held.entry.event;
    if (event === undefined || this.#options.raw) return;
    const mark = {
      kind,
      group: held.ref.group,
      at: new Date().toISOString(),
      ...(reason !== undefined && { reason: reason.slice(0, 200) }),
    };
    this.#rail.mark(held.ref.channel, event, mark).catch((error: unknown) => this.#report(error));
  }

  // A store call whose failure is reported, not thrown: what it was about stays
  // pending, and is looked for again (it may have been carried out all the same).
  async #settle<T>(call: () => Promise<T>, ref?: GroupRef): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      this.#lostTrack(ref, error);
      return undefined;
    }
  }

  // A store call about `ref` failed: reported, and its entries looked for again.
  #lostTrack(ref: GroupRef | undefined, error: unknown): void {
    this.#report(error);
    if (ref !== undefined) this.#orphans.add(ref);
  }

  // Takes up the entries pending on this consumer that it does not hold (see
  // #orphans). Each is touched first: one acknowledged meanwhile is no longer
  // pending on it and is left alone, so nothing runs twice here.
  async #adoptOrphans(ref: GroupRef, free: number): Promise<void> {
    const limit = free + this.#held.size;
    const pending = await this.#store.pendingOf(ref, this.#options.consumer, limit);
    const orphans = pending.filter((entry) => !this.#held.has(ref, entry)).slice(0, free);
    const gone = orphans.length === 0 ? [] : await this.#store.touch(ref, this.#options.consumer, orphans);
    const left = new Set(gone.map((entry) => `${entry.source} ${entry.id}`));
    for (const entry of orphans) {
      if (!left.has(`${entry.source} ${entry.id}`) && !this.#held.has(ref, entry)) this.#dispatch(ref, entry);
    }
    // All of them seen (or no room for more): the next read is a plain one.
    if (pending.length < limit) this.#orphans.delete(ref);
  }

  #report(error: unknown): void {
    this.#options.onError(isReplayRailError(error) ? error : new InternalError('consumer failure', { cause: error }));
  }

  // --- Keeping claims, and recovering other consumers' entries

  async #keepClaims(): Promise<void> {
    for (const ref of this.#refs) {
      const mine = this.#held.on(ref).filter((held) => !held.lost);
      if (mine.length === 0) continue;
      const gone = await this.#settle(() =>
        this.#store.touch(
          ref,
          this.#options.consumer,
          mine.map((held) => held.entry),
        ),
      );
      for (const entry of gone ?? []) {
        const held = this.#held.get(ref, entry);
        if (held === undefined) continue;
        held.lost = true;
        held.abort(new Error('entry claimed by another consumer'));
      }
    }
  }

  async #janitor(): Promise<void> {
    if (this.#janitorBusy || this.#state !== 'running') return;
    this.#janitorBusy = true;
    try {
      for (const ref of this.#refs) {
        const free = this.#free();
        if (free > 0) {
          const claimed = await this.#settle(
            () =>
              this.#store.claimIdle(ref, {
                consumer: this.#options.consumer,
                minIdleMs: this.#options.claimIdleMs,
                limit: free,
              }),
            ref,
          );
          if (this.#state !== 'running') return;
          for (const entry of claimed?.entries ?? []) this.#dispatch(ref, entry);
          const gone = claimed?.gone ?? [];
          if (gone.length > 0) {
            const ids = gone.map((entry) => entry.id).sort(compareCursors);
            this.#options.onError(
              new EntriesLostError(
                `${gone.length} pending entries of ${ref.channel} were removed from the stream before group ${ref.group} finished them`,
                { context: { channel: ref.channel, group: ref.group, ids, count: gone.length } },
              ),
            );
          }
        }
        await this.#settle(() =>
          this.#store.removeIdleConsumers(ref, this.#options.removeIdleConsumersAfterMs, this.#options.consumer),
        );
      }
    } finally {
      this.#janitorBusy = false;
    }
  }
}
