/**
 * @module
 * `replayrail tail <channel>`: the channel's events in cursor order, one per line,
 * then (with `--follow`) live ones as they are published. History that is gone is
 * said on stderr with exit code 3, never skipped in silence. From a keyed channel's
 * snapshot (`--from snapshot`, with its state policy), each key's latest event comes
 * first, then a line on stderr, then the events after the snapshot.
 */

import type { StoredEvent } from '@replayrail/core';
import { compareCursors, lastCursorAtTime } from '@replayrail/core/cursor';
import { parseStart } from '@replayrail/core/start';
import type { Connection } from '../connect.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { eventLine } from '../format.js';
import type { CliIo } from '../io.js';
import { startOptions, UsageError } from '../parse.js';
import { missingChannel } from './not-found.js';

export interface TailOptions {
  from?: string;
  since?: string;
  until?: string;
  follow?: boolean;
  json?: boolean;
}

// A progress line at most this often while a long replay runs in a terminal.
const PROGRESS_MS = 1_000;

export async function tail(
  connection: Connection,
  io: CliIo,
  channel: string,
  options: TailOptions,
): Promise<ExitCode> {
  // Where to start, checked by the rail as everywhere (core's start vocabulary);
  // `--until` read the same way, for `--follow` to stop at.
  const start = {
    ...startOptions(options),
    ...(options.since === undefined && options.from === undefined && { from: 'earliest' }),
  };
  if (options.from === 'snapshot' && options.until !== undefined) {
    throw new UsageError(
      "--until does not bound a snapshot (its events are each key's latest): leave it out with --from snapshot",
    );
  }
  const until = options.until === undefined ? undefined : parseStart({ until: options.until }, 'page').until;
  const json = options.json === true;
  const progress = new Progress(io);
  const boundary = new SnapshotBoundary(io, options.from === 'snapshot');
  try {
    if (options.follow !== true) {
      for await (const event of connection.rail.replayAll(channel, {
        ...start,
        ...(until !== undefined && { until }),
        pageSize: 1_000,
        signal: io.signal,
      })) {
        boundary.passed(event);
        io.out(eventLine(event, json));
        progress.passed(event);
      }
      boundary.end();
      // Nothing printed from a channel with nothing in it: say why on stderr, so an empty output is no mystery.
      const why = progress.count === 0 ? await missingChannel(connection, channel) : undefined;
      if (why !== undefined) io.err(`replayrail: ${why}`);
      return EXIT.ok;
    }
    const why = await missingChannel(connection, channel);
    if (why !== undefined) io.err(`replayrail: ${why}; waiting for its next event`);
    // `--until` as the last cursor to print, as replay reads it (a time: its last cursor).
    const last = until === undefined ? undefined : until instanceof Date ? lastCursorAtTime(until) : until;
    const subscription = await connection.rail.subscribe(channel, {
      ...start,
      signal: io.signal,
      // An entry no reader can decode: said on stderr in its place, and the tail goes on.
      onError: (error) => io.err(`replayrail: skipped ${String(error.context.id)}: ${error.message}`),
    });
    for await (const event of subscription) {
      if (last !== undefined && compareCursors(event.id, last) > 0) break;
      boundary.passed(event);
      io.out(eventLine(event, json));
      progress.passed(event);
    }
    boundary.end();
    return EXIT.ok;
  } finally {
    progress.end();
  }
}

// Where a snapshot's events end and the channel's events after it begin, said once
// on stderr (a snapshot's lines are in key order, not cursor order): before the first
// event after it, or when the tail ends with none.
class SnapshotBoundary {
  readonly #io: CliIo;
  #keys = 0;
  #open: boolean;

  constructor(io: CliIo, fromSnapshot: boolean) {
    this.#io = io;
    this.#open = fromSnapshot;
  }

  passed(event: StoredEvent): void {
    if (event.snapshot === true) this.#keys++;
    else this.end();
  }

  end(): void {
    if (!this.#open) return;
    this.#open = false;
    const keys = `${this.#keys} key${this.#keys === 1 ? '' : 's'}`;
    this.#io.err(`replayrail: ${keys} from the snapshot above; what follows came after it`);
  }
}

// Events per second and the position, redrawn on stderr, only for a person watching.
class Progress {
  readonly #io: CliIo;
  count = 0;
  #started = Date.now();
  #drawn = 0;
  #shown = false;

  constructor(io: CliIo) {
    this.#io = io;
  }

  passed(event: StoredEvent): void {
    this.count++;
    if (!this.#io.interactive) return;
    const now = Date.now();
    if (now - this.#drawn < PROGRESS_MS) return;
    this.#drawn = now;
    const seconds = Math.max(0.001, (now - this.#started) / 1000);
    const events = `${this.count} event${this.count === 1 ? '' : 's'}`;
    this.#io.progress(`${events}, ${Math.round(this.count / seconds)}/s, at ${event.id}`);
    this.#shown = true;
  }

  end(): void {
    if (this.#shown) this.#io.progress('');
  }
}
