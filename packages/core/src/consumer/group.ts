/**
 * @module
 * `ConsumerGroup`: a consumer group of one channel, as an operator handles it: its
 * figures, its dead letters, their redrive and discard. What runs handlers is
 * `rail.consume` (consumer.ts); this handle only looks and tidies, the way BullMQ
 * keeps its `Queue` apart from its `Worker`. Made by `rail.group(channel, name)`.
 */

import { assertCursor } from '../cursor.js';
import { InvalidRequestError } from '../errors.js';
import type { DeadLetter, GroupInfo, GroupRef, GroupStore } from '../store/group-store.js';
import type { Cursor } from '../types.js';

/** Options of `group.deadLetters`. */
export interface DeadLettersOptions {
  /** Only dead letters after this one (its ID). */
  after?: Cursor;
  /** At most this many, 1 to `limits.maxReplayLimit`. @default config.defaultReplayLimit */
  limit?: number;
}

function deadLetterIds(ids: readonly Cursor[] | 'all'): readonly Cursor[] | 'all' {
  if (ids === 'all') return ids;
  if (!Array.isArray(ids)) throw new InvalidRequestError("ids must be an array of dead-letter IDs or 'all'");
  for (const id of ids) assertCursor(id, 'dead-letter id');
  return ids;
}

/**
 * One consumer group of one channel.
 *
 * @example
 * const printer = rail.group('restaurant:123:orders', 'ticket-printer');
 * const { pending, deadLetters } = (await printer.info()) ?? { pending: 0, deadLetters: 0 };
 * for (const letter of await printer.deadLetters()) console.log(letter.id, letter.errorMessage);
 * await printer.redrive('all');
 */
export class ConsumerGroup {
  readonly #groups: () => GroupStore;
  readonly #ref: GroupRef;
  readonly #limit: (value: number | undefined) => number;

  /** @internal made by `rail.group` */
  constructor(groups: () => GroupStore, ref: GroupRef, limit: (value: number | undefined) => number) {
    this.#groups = groups;
    this.#ref = ref;
    this.#limit = limit;
  }

  /** The channel whose entries the group processes. */
  get channel(): string {
    return this.#ref.channel;
  }

  /** The group's name. */
  get name(): string {
    return this.#ref.group;
  }

  /** The group's figures (pending, lag, dead letters, consumers), or null when it does not exist. */
  info(): Promise<GroupInfo | null> {
    return this.#groups().groupInfo(this.#ref);
  }

  /** The group's dead letters, oldest first: each entry with why it failed. */
  async deadLetters(options: DeadLettersOptions = {}): Promise<DeadLetter[]> {
    const limit = this.#limit(options.limit);
    if (options.after !== undefined) assertCursor(options.after, 'after');
    return this.#groups().deadLetters(this.#ref, {
      limit,
      ...(options.after !== undefined && { after: options.after }),
    });
  }

  /**
   * Puts dead letters back for the group to process again (before newer events), by
   * ID or all of them. Resolves to how many were put back.
   */
  async redrive(ids: readonly Cursor[] | 'all'): Promise<number> {
    return this.#groups().redrive(this.#ref, deadLetterIds(ids));
  }

  /** Deletes dead letters for good, by ID or all of them. Resolves to how many there were. */
  async discard(ids: readonly Cursor[] | 'all'): Promise<number> {
    return this.#groups().discard(this.#ref, deadLetterIds(ids));
  }
}
