/**
 * @module
 * `replayrail info <channel>`: the stream's figures as Redis keeps them (length,
 * first and last ID, entries added, retention figures) and each consumer group's
 * lag, pending entries, consumers and dead letters.
 */

import type { GroupInfo } from '@replayrail/core';
import type { Connection } from '../connect.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export interface InfoOptions {
  json?: boolean;
}

/** What `info --json` prints. Figures Redis does not have (before 7.0) are null. */
export interface ChannelInfo {
  channel: string;
  key: string;
  exists: boolean;
  length: number;
  firstId: string | null;
  lastId: string | null;
  lastGeneratedId: string | null;
  entriesAdded: number | null;
  maxDeletedEntryId: string | null;
  recordedFirstEntryId: string | null;
  groups: (GroupInfo & { name: string })[];
}

// XINFO replies as objects: a flat name/value array.
function record(raw: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (Array.isArray(raw)) for (let i = 0; i + 1 < raw.length; i += 2) fields[String(raw[i])] = raw[i + 1];
  return fields;
}

const idOf = (entry: unknown): string | null => (Array.isArray(entry) ? String(entry[0]) : null);
const numberOrNull = (value: unknown): number | null => (value === undefined || value === null ? null : Number(value));
const stringOrNull = (value: unknown): string | null => (value === undefined || value === null ? null : String(value));

export async function channelInfo(connection: Connection, channel: string): Promise<ChannelInfo> {
  const key = connection.store.streamKey({ prefix: connection.prefix, channel });
  let stream: Record<string, unknown> | undefined;
  try {
    stream = record(await connection.redis.call('XINFO', 'STREAM', key));
  } catch (error) {
    if (!/no such key/i.test((error as Error).message)) throw error;
  }
  const names =
    stream === undefined
      ? []
      : ((await connection.redis.call('XINFO', 'GROUPS', key)) as unknown[]).map((group) => String(record(group).name));
  const groups = [];
  for (const name of names) {
    const info = await connection.rail.groupInfo(channel, name);
    if (info !== null) groups.push({ name, ...info });
  }
  return {
    channel,
    key,
    exists: stream !== undefined,
    length: Number(stream?.length ?? 0),
    firstId: idOf(stream?.['first-entry']),
    lastId: idOf(stream?.['last-entry']),
    lastGeneratedId: stringOrNull(stream?.['last-generated-id']),
    entriesAdded: numberOrNull(stream?.['entries-added']),
    maxDeletedEntryId: stringOrNull(stream?.['max-deleted-entry-id']),
    recordedFirstEntryId: stringOrNull(stream?.['recorded-first-entry-id']),
    groups,
  };
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
  io.out(`length           ${figures.length}`);
  io.out(`first / last     ${shown(figures.firstId)} / ${shown(figures.lastId)}`);
  io.out(`entries added    ${shown(figures.entriesAdded)}`);
  io.out(`max deleted      ${shown(figures.maxDeletedEntryId)}`);
  io.out(`recorded first   ${shown(figures.recordedFirstEntryId)}`);
  if (figures.groups.length === 0) io.out('groups           none');
  for (const group of figures.groups) {
    const consumers = group.consumers.map((c) => `${c.name} (${c.pending} pending, idle ${c.idleMs} ms)`).join(', ');
    io.out(
      `group ${group.name}: lag ${shown(group.lag)}, pending ${group.pending}, dead letters ${group.deadLetters}, redriving ${group.redriving}, last delivered ${group.lastDelivered}; consumers: ${consumers || 'none'}`,
    );
  }
  return EXIT.ok;
}
