/**
 * @module
 * One channel's subscription in the client: its handler, run one event at a time,
 * and its cursor, advanced only once the handler is done and then persisted. An
 * event at or before the cursor (a frame repeated after a reconnect) is dropped.
 * From a keyed channel's snapshot (`from: 'snapshot'`, or `onExpired: 'snapshot'`),
 * the app's `reset` runs first, and the cursor is persisted only once the snapshot
 * is complete (the README's "Expiry and snapshots").
 */

import { compareCursors } from '@replayrail/core/cursor';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { CursorStorage } from './storage.js';
import type { ClientError, ClientEvent, ExpiredInfo, SubscriptionState } from './types.js';

/**
 * Where a subscription starts when it has no cursor of its own: an end of the
 * channel, its snapshot (a keyed channel's latest event of each key, then what
 * follows), or after a cursor.
 */
export type StartFrom = NamedStart | (string & {});

/** A start by name: an end of the channel, or its snapshot. */
export type NamedStart = 'latest' | 'earliest' | 'snapshot';

/**
 * What a cursor older than the server retains does: `'error'` goes on from `resume`
 * (a function is told first, and events wait for it); `'snapshot'` starts again from
 * the channel's snapshot.
 */
export type ExpiredMode = 'error' | 'snapshot' | ((info: ExpiredInfo) => void | Promise<void>);

/** Options of `client.subscribe`. */
export interface SubscribeOptions {
  /**
   * Where to start: `latest` (only new events), `earliest` (all retained),
   * `snapshot` (a keyed channel's latest event of each key, then what follows), or
   * a cursor. A cursor given here wins over the stored one; otherwise the stored
   * cursor (from an earlier page load) wins. @default 'latest'
   */
  from?: StartFrom;
  /** Where to go on after an expiry reported as an error, once `onExpired` is done. @default 'latest' */
  resume?: 'latest' | 'earliest';
  /**
   * The cursor is older than the server retains; either way the expiry is reported
   * on the client's `error` listeners. `'error'`: the cursor is forgotten and the
   * subscription goes on from `resume`; a function runs first (resync your state
   * there; events wait for it). `'snapshot'`: it starts again from the channel's
   * snapshot (`reset`, the snapshot, then what follows); the channel must keep a
   * state. @default 'error'
   */
  onExpired?: ExpiredMode;
  /**
   * Runs before each snapshot's first event (an empty snapshot's too): drop what you
   * built from this channel, the snapshot replaces it. Events wait for it.
   */
  reset?: () => void | Promise<void>;
  onState?: (state: SubscriptionState) => void;
  /** The server refused the subscription, or the handler threw: the subscription has ended. */
  onError?: (error: ClientError) => void;
}

/** What the client does for a subscription. */
export interface SubscriptionHost {
  readonly storage: CursorStorage;
  /** Asks the server for the channel (again), from the subscription's position. */
  request(subscription: ClientSubscription<never>): void;
  /** Drops the subscription; `notify` tells the server. */
  remove(subscription: ClientSubscription<never>, notify: boolean): void;
  /** Reports an error to the client's listeners. */
  report(error: ClientError): void;
  /** Whether it serves one channel from a one-channel URL. */
  readonly single: boolean;
  /** The client's reconnect steps, which an expiry that repeats waits out too. */
  readonly backoff: BackoffOptions | undefined;
}

export class ClientSubscription<Event extends { id: string; snapshot?: true } = ClientEvent> {
  #cursor: string | null = null;
  // In a snapshot: the cursor it is exact at, persisted once it is complete (null on
  // the one-channel URL, which does not say: there the first event after it is the
  // first cursor). Undefined outside a snapshot.
  #snapshot: string | null | undefined;
  #state: SubscriptionState = 'replaying';
  #closed = false;
  // Expiries in a row with no cursor between them (see expired).
  #expiries = 0;
  /** It has been asked for (its stored cursor loaded, no expiry waiting): a reconnect asks for it again. */
  ready = false;
  // Each step (event, acknowledgement, state change) runs after the previous one
  // finished, so the handler sees events one at a time, in order.
  #queue: Promise<unknown>;
  /** Where it starts when it has no cursor, before and after expiry. */
  from: NamedStart;

  constructor(
    readonly channel: string,
    readonly onEvent: (event: Event) => void | Promise<void>,
    readonly options: SubscribeOptions,
    readonly host: SubscriptionHost,
  ) {
    const given = options.from ?? 'latest';
    // Narrowed by hand: `(string & {})` in StartFrom keeps TypeScript from doing it.
    const named =
      given === 'latest' || given === 'earliest' || given === 'snapshot' ? (given as NamedStart) : undefined;
    this.from = named ?? 'latest';
    this.#queue = (async () => {
      const stored = await host.storage.get(channel);
      this.#cursor = named ? (stored ?? null) : given;
      host.request(this);
    })().catch((error: unknown) => this.#fail('storage_error', error));
  }

  /** The `id` of the last event its handler finished with (or its start); null before it has one. */
  get cursor(): string | null {
    return this.#cursor;
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops it; events already on their way are dropped. */
  unsubscribe(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.remove(this, true);
  }

  #then(step: () => unknown): void {
    this.#queue = this.#queue.then(() => (this.#closed ? undefined : step()));
  }

  // Moves the cursor, which ends a snapshot in progress: complete, or given up.
  async #advance(cursor: string | null): Promise<void> {
    this.#cursor = cursor;
    this.#snapshot = undefined;
    await this.host.storage.set(this.channel, cursor);
  }

  // Runs app code (a handler, `reset`); false when it threw, which ends the
  // subscription with its cursor before that step.
  async #run(step: () => unknown): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (error) {
      this.#fail('handler_error', error);
      return false;
    }
  }

  /** @internal an event of its channel */
  deliver(event: Event): void {
    this.#then(async () => {
      // A snapshot's events come in key order and are no cursor to resume from.
      const snapshot = event.snapshot;
      if (!snapshot && this.#cursor !== null && compareCursors(event.id, this.#cursor) <= 0) return;
      // The first event after a snapshot completes it: its cursor is the first one kept.
      if ((await this.#run(() => this.onEvent(event))) && !snapshot) await this.#advance(event.id);
    });
  }

  /** @internal the server started it after `cursor`, with the channel's snapshot first if `snapshot` */
  started(cursor: string | null, snapshot?: boolean): void {
    this.#then(async () => {
      if (!snapshot) return this.#cursor === null && cursor !== null ? this.#advance(cursor) : undefined;
      // The stored cursor goes too: a drop or a reload before the snapshot is
      // complete starts from a snapshot again, never from a partial view.
      if (await this.#run(() => this.options.reset?.())) {
        await this.#advance(null);
        this.#snapshot = cursor;
      }
    });
  }

  /** @internal `live` once caught up, `replaying` again after a reconnect */
  setState(state: SubscriptionState): void {
    this.#then(async () => {
      // Caught up with nothing after the snapshot: its own cursor is the one to keep.
      if (state === 'live' && this.#snapshot) await this.#advance(this.#snapshot);
      if (this.#state === state) return;
      this.#state = state;
      this.options.onState?.(state);
    });
  }

  /** @internal its cursor is older than what is retained */
  expired(info: ExpiredInfo): void {
    this.#then(async () => {
      // Reported however it is handled: lost history is never silent.
      this.host.report(info);
      // Expired while it had no cursor (a snapshot whose hand-off outlives the
      // channel's retention, say, again and again): asked for again after a backoff
      // step, growing while that repeats, not at once; and not by a reconnect
      // meanwhile (`ready`). With a cursor, at once.
      let wait = 0;
      if (this.#cursor === null) wait = backoffDelay(this.#expiries++, this.host.backoff);
      else this.#expiries = 0;
      const mode = this.options.onExpired;
      if (mode === 'snapshot') this.from = mode;
      else {
        if (typeof mode === 'function') await mode(info);
        this.from = this.options.resume ?? 'latest';
      }
      await this.#advance(null);
      this.#state = 'replaying';
      this.ready = false;
      setTimeout(() => this.host.request(this), wait);
    });
  }

  /**
   * @internal the server could not decode the stored entry `id` and went past it:
   * reported, and the cursor moves past it in turn (on the one-channel endpoint,
   * which ended at it, it then connects again from there).
   */
  skipped(id: string, error: ClientError): void {
    this.host.report({ ...error, message: `${error.message} (entry ${id} skipped)` });
    this.#then(async () => {
      if (this.#cursor === null || compareCursors(id, this.#cursor) > 0) await this.#advance(id);
      if (this.host.single) this.host.request(this);
    });
  }

  /** @internal the server refused it (`notify` false: it holds nothing), or its handler threw */
  fail(error: ClientError, notify = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.remove(this, notify);
    this.options.onError?.(error);
    this.host.report(error);
  }

  #fail(code: string, error: unknown): void {
    this.fail({ code, message: error instanceof Error ? error.message : String(error), channel: this.channel }, true);
  }
}
