/**
 * @module
 * The entries a consumer holds, from fetch (or claim) until they are settled. One
 * object each (its handler's abort signal made only if asked for), found by
 * channel, source and ID without a key string built per entry.
 */

import type { EntryRef, GroupEntry, GroupRef, RecordedFailure } from '../store/group-store.js';
import { LazyAbort } from './lazy-abort.js';

/** An entry a consumer holds; aborting it aborts its handler's signal. */
export class Held extends LazyAbort {
  readonly ref: GroupRef;
  entry: GroupEntry;
  /** Set when another consumer took it, or the consumer stopped: its result must not be acknowledged. */
  lost = false;
  /** Its failures so far (recorded by whoever ran it before, then here), for its dead letter. */
  failure: RecordedFailure | undefined;
  /** Its ordering key, when it has one. */
  key: string | undefined = undefined;
  /** Why its handler sent it to the dead letters (`context.deadLetter`), once it is done. */
  condemned: Error | undefined = undefined;

  constructor(ref: GroupRef, entry: GroupEntry) {
    super();
    this.ref = ref;
    this.entry = entry;
    this.failure = entry.failure;
  }
}

type BySource = Record<EntryRef['source'], Map<string, Held>>;

/** The held entries, by channel (the consumer's own `GroupRef` objects), source and ID. */
export class HeldEntries {
  readonly #byRef = new Map<GroupRef, BySource>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  #of(ref: GroupRef, source: EntryRef['source']): Map<string, Held> {
    let bySource = this.#byRef.get(ref);
    if (bySource === undefined) {
      bySource = { stream: new Map(), redrive: new Map() };
      this.#byRef.set(ref, bySource);
    }
    return bySource[source];
  }

  get(ref: GroupRef, entry: EntryRef): Held | undefined {
    return this.#of(ref, entry.source).get(entry.id);
  }

  has(ref: GroupRef, entry: EntryRef): boolean {
    return this.#of(ref, entry.source).has(entry.id);
  }

  /** Holds `held`; false (and nothing changes) when its entry is held already. */
  add(held: Held): boolean {
    const map = this.#of(held.ref, held.entry.source);
    if (map.has(held.entry.id)) return false;
    map.set(held.entry.id, held);
    this.#size++;
    return true;
  }

  /** Lets `held` go, if it is the one held for its entry. */
  delete(held: Held): void {
    const map = this.#of(held.ref, held.entry.source);
    if (map.get(held.entry.id) !== held) return;
    map.delete(held.entry.id);
    this.#size--;
  }

  /** The entries held on one channel. */
  on(ref: GroupRef): Held[] {
    const bySource = this.#byRef.get(ref);
    return bySource === undefined ? [] : [...bySource.stream.values(), ...bySource.redrive.values()];
  }

  /** Every entry held, and then none. */
  takeAll(): Held[] {
    const all = [...this.#byRef.keys()].flatMap((ref) => this.on(ref));
    this.#byRef.clear();
    this.#size = 0;
    return all;
  }
}
