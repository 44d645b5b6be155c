/**
 * @module
 * What the parts of the Redis store (its consumer groups, raw streams and channel
 * state) need of it: key names, commands and scripts under its command timeout, and
 * whether it is still open. The store makes one and hands it to each part.
 */

import type { StreamRef } from '@replayrail/core/store';
import type { Script } from './scripts.js';

export interface StoreHost {
  /** The stream key of a channel. */
  streamKey(stream: StreamRef): string;
  /** Whether stream keys carry a hash tag already. */
  readonly hashTags: boolean;
  /** One command on the user's client, under the command timeout. */
  command(args: string[], key: string, operation: string, context: Record<string, unknown>): Promise<unknown>;
  /** One script on the user's client, under the command timeout. */
  script(
    source: Script,
    keys: string[],
    args: string[],
    operation: string,
    context: Record<string, unknown>,
  ): Promise<unknown>;
  /**
   * Commands as one transaction on the user's client, under the command timeout:
   * each command's reply or the error it ran into (see `RedisConnection.transaction`).
   */
  transaction(
    commands: readonly (readonly string[])[],
    key: string,
    operation: string,
    context: Record<string, unknown>,
  ): Promise<unknown[]>;
  /** Throws `StoreClosedError` once the store is closed. */
  assertOpen(): void;
}
