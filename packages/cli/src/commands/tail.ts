/**
 * @module
 * `replayrail tail <channel>`: the channel's events in cursor order, one per line,
 * then (with `--follow`) live ones as they are published. History that is gone is
 * said on stderr with exit code 3, never skipped in silence.
 */

import type { StoredEvent } from '@replayrail/core';
import { compareCursors, lastCursorAtTime } from '@replayrail/core/cursor';
import { parseStart } from '@replayrail/core/start';
import type { Connection } from '../connect.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { eventLine } from '../format.js';
import type { CliIo } from '../io.js';
import { startOptions } from '../parse.js';
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
  const until = options.until === undefined ? undefined : parseStart({ until: options.until }, 'page').until;
  const json = options.json === true;
  const progress = new Progress(io);
  try {
    if (options.follow !== true) {
      for await (const event of connection.rail.replayAll(channel, {
        ...start,
        ...(until !== undefined && { until }),
        pageSize: 1_000,
        signal: io.signal,
      })) {
        io.out(eventLine(event, json));
        progress.passed(event);
      }
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
      io.out(eventLine(event, json));
      progress.passed(event);
    }
    return EXIT.ok;
  } finally {
    progress.end();
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
