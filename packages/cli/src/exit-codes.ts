/**
 * @module
 * The exit codes of `replayrail`, documented in the README.
 */

export const EXIT = {
  /** Done. */
  ok: 0,
  /** Redis or the store failed (unreachable, an error reply), or something unexpected. */
  failed: 1,
  /** Bad arguments: an unknown option, an invalid channel, cursor, time or JSON. */
  usage: 2,
  /** The history asked for is gone: trimmed past the cursor (`replay_window_expired`) or reset (`stream_reset`). */
  historyLost: 3,
  /** Something asked for does not exist: a consumer group, a dead letter. */
  notFound: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
