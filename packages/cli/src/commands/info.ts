/**
 * @module
 * `replayrail info <channel>`: the stream's figures as Redis keeps them (length,
 * first and last ID, entries added, retention figures, from the store's
 * `describe`) and each consumer group's lag, pending entries, consumers and dead
 * letters.
 */

import type { GroupInfo } from '@replayrail/core';
import type { StreamDescription } from '@replayrail/store-redis';
import type { Connection } from '../connect.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { missingChannel } from './not-found.js';

export interface InfoOptions {
  json?: boolean;
}

/** What `info --json` prints. Figures Redis does not have (before 7.0) are null. */
export interface ChannelInfo extends Omit<StreamDescription, 'groups'> {
  channel: string;
  groups: (GroupInfo & { name: string })[];
}

export async function channelInfo(connection: Connection, channel: string): Promise<ChannelInfo> {
  const stream = await connection.store.describe({ prefix: connection.prefix, channel });
  const groups = [];
  for (const name of stream.groups) {
    const info = await connection.rail.group(channel, name).info();
    if (info !== null) groups.push({ name, ...info });
  }
  return { channel, ...stream, groups };
}

export async function info(
  connection: Connection,
  io: CliIo,
  channel: string,
  options: InfoOptions,
): Promise<ExitCode> {
  const figures = await channelInfo(connection, channel);
  if (options.json === true) {
    io.out(JSON.stringify(figures));
    return EXIT.ok;
  }
  const shown = (value: unknown): string => (value === null ? '-' : String(value));
  io.out(`channel          ${figures.channel} (key ${figures.key})${figures.exists ? '' : ', no stream yet'}`);
  const why = figures.exists ? undefined : await missingChannel(connection, channel);
  if (why !== undefined) io.err(`replayrail: ${why}`);
  io.out(`length           ${figures.length}`);
  io.out(`first / last     ${shown(figures.firstId)} / ${shown(figures.lastId)}`);
  io.out(`entries added    ${shown(figures.entriesAdded)}`);
  io.out(`max deleted      ${shown(figures.maxDeletedEntryId)}`);
  io.out(`recorded first   ${shown(figures.recordedFirstEntryId)}`);
  if (figures.groups.length === 0) io.out('groups           none');
  for (const group of figures.groups) {
    io.out(`group            ${group.name}`);
    io.out(`  lag            ${shown(group.lag)}`);
    io.out(`  pending        ${group.pending}`);
    io.out(`  dead letters   ${group.deadLetters} (redriving ${group.redriving})`);
    io.out(`  last delivered ${group.lastDelivered}`);
    if (group.consumers.length === 0) io.out('  consumers      none');
    for (const consumer of group.consumers) {
      io.out(`  consumer       ${consumer.name}: ${consumer.pending} pending, idle ${consumer.idleMs} ms`);
    }
  }
  return EXIT.ok;
}
