/**
 * @module
 * `StreamRef`: which stream a store call is about, the one name every store
 * interface shares (`EventStore`, `GroupStore`).
 */

/** Which stream: a channel under a key prefix. Stores build their keys from both. */
export interface StreamRef {
  readonly prefix: string;
  readonly channel: string;
}
