/**
 * @module
 * `replayrail dead-letters <channel> --group <g> [list|redrive|discard]`: a group's
 * dead letters, oldest first, put back for the group to handle again, or deleted.
 * `redrive` and `discard` take `--id` (repeatable) or `--all`.
 */

import type { Cursor, DeadLetter } from '@replayrail/core';
import type { Connection } from '../connect.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { positiveCount, UsageError } from '../parse.js';
import { groupsOf } from './not-found.js';

export interface DeadLettersOptions {
  group: string;
  id?: string[];
  all?: boolean;
  limit?: string;
  json?: boolean;
}

export type DeadLettersAction = 'list' | 'redrive' | 'discard';

function line(letter: DeadLetter): string {
  const what =
    letter.event === undefined ? '(undecodable entry)' : `${letter.event.type} ${JSON.stringify(letter.event.payload)}`;
  return `${letter.id} origin=${letter.origin} attempts=${letter.attempts} last=${new Date(letter.lastFailedAt).toISOString()} consumer=${letter.consumer} error=${letter.errorName}: ${letter.errorMessage} | ${what}`;
}

export async function deadLetters(
  connection: Connection,
  io: CliIo,
  channel: string,
  action: DeadLettersAction,
  options: DeadLettersOptions,
): Promise<ExitCode> {
  if ((await connection.rail.group(channel, options.group).info()) === null) {
    io.err(`replayrail: no consumer group ${options.group} on ${channel}; ${await groupsOf(connection, channel)}`);
    return EXIT.notFound;
  }
  if (action === 'list') {
    const limit = positiveCount(options.limit, '--limit', 1_000);
    const letters = await connection.rail.group(channel, options.group).deadLetters({ limit });
    for (const letter of letters) io.out(options.json === true ? JSON.stringify(letter) : line(letter));
    if (letters.length === 0) io.err(`replayrail: no dead letters in ${options.group} on ${channel}`);
    return EXIT.ok;
  }
  const ids: readonly Cursor[] | 'all' = options.all === true ? 'all' : (options.id ?? []);
  if (options.all === true && (options.id?.length ?? 0) > 0) throw new UsageError('give --id or --all, not both');
  if (ids !== 'all' && ids.length === 0)
    throw new UsageError(`${action} needs --id <dead letter id> (repeatable) or --all`);
  const count =
    action === 'redrive'
      ? await connection.rail.group(channel, options.group).redrive(ids)
      : await connection.rail.group(channel, options.group).discard(ids);
  io.out(
    options.json === true
      ? JSON.stringify({ [action === 'redrive' ? 'redriven' : 'discarded']: count })
      : `${action === 'redrive' ? 'redriven' : 'discarded'}: ${count}`,
  );
  if (ids !== 'all' && count < ids.length) {
    io.err(`replayrail: ${ids.length - count} of the ${ids.length} IDs were not dead letters of ${options.group}`);
    return EXIT.notFound;
  }
  return EXIT.ok;
}
