/**
 * @module
 * `replayrail lineage <correlation-id>`: one workflow's events across channels and
 * which caused which (docs/lineage.md), read from the store's index of that
 * correlation: as lines (the default), as a Mermaid flowchart (`--mermaid`), or as
 * the lineage's JSON (`--json`). `replayrail lineage rebuild <channel>` indexes the
 * channel's events written around the rail (the Python library, a raw `XADD`).
 */

import { type Lineage, toMermaid } from '@replayrail/core';
import type { Connection } from '../connect.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { count } from '../format.js';
import { type CliIo, OutputClosed } from '../io.js';
import { positiveCount, UsageError } from '../parse.js';
import { missingChannel } from './not-found.js';

export interface LineageCommandOptions {
  mermaid?: boolean;
  json?: boolean;
  limit?: string;
}

// One line per event: its time, channel, type and event_id, then what caused it and what happened to it.
function lines(lineage: Lineage): string[] {
  const causeOf = new Map(lineage.edges.map((edge) => [edge.effect, edge]));
  const out: string[] = [];
  for (const { event, via, marks } of lineage.nodes) {
    const edge = causeOf.get(event.event_id);
    const cause =
      edge === undefined
        ? ''
        : `  <- ${edge.cause}${edge.dangling === undefined ? '' : ` (${edge.dangling}${edge.causeAt ? ` at ${edge.causeAt.channel} ${edge.causeAt.id}` : ''})`}`;
    const outside = via === 'cause' ? '  (outside the correlation)' : '';
    out.push(`${event.created_at}  ${event.channel}  ${event.type}  ${event.event_id}${cause}${outside}`);
    for (const mark of marks) {
      out.push(`    ${mark.at}  ${mark.kind} by ${mark.group}${mark.reason === undefined ? '' : `: ${mark.reason}`}`);
    }
  }
  return out;
}

export async function lineage(
  connection: Connection,
  io: CliIo,
  correlationId: string,
  options: LineageCommandOptions,
): Promise<ExitCode> {
  if (options.mermaid === true && options.json === true) throw new UsageError('give --mermaid or --json, not both');
  const limit = positiveCount(options.limit, '--limit', connection.rail.config.limits.maxReplayLimit);
  const found = await connection.rail.lineage(correlationId, { limit });
  if (found.nodes.length === 0) {
    io.err(
      `replayrail: no events indexed under correlation ${correlationId} (prefix ${connection.prefix}); events written around the rail (the Python library) are indexed by: replayrail lineage rebuild <channel>`,
    );
    return EXIT.notFound;
  }
  if (options.json === true) io.out(JSON.stringify(found));
  else if (options.mermaid === true) io.out(toMermaid(found).trimEnd());
  else for (const line of lines(found)) io.out(line);
  if (found.truncated) io.err(`replayrail: the first ${limit} events shown; --limit for more`);
  return EXIT.ok;
}

export interface LineageRebuildOptions {
  pageSize?: string;
  json?: boolean;
}

/** `replayrail lineage rebuild <channel>`: the channel's retained events that name a correlation, each added to the index once. */
export async function rebuildLineage(
  connection: Connection,
  io: CliIo,
  channel: string,
  options: LineageRebuildOptions,
): Promise<ExitCode> {
  const pageSize = positiveCount(options.pageSize, '--page-size', 1_000);
  let report: Awaited<ReturnType<typeof connection.rail.rebuildLineage>>;
  try {
    report = await connection.rail.rebuildLineage(channel, { pageSize, signal: io.signal });
  } catch (error) {
    if (!io.signal.aborted || io.signal.reason instanceof OutputClosed) throw error;
    // Ctrl-C: an entry is added once, so what it added is right, and running it again finishes it.
    io.err(
      `replayrail: the lineage rebuild of ${channel} stopped part-way: what it added stays; run it again to finish`,
    );
    return EXIT.failed;
  }
  io.out(
    options.json === true
      ? JSON.stringify({ channel, ...report })
      : `indexed the lineage of ${channel}: ${count(report.events, 'retained event')} read, ${count(report.indexed, 'event')} added to the index, ${count(report.correlations, 'correlation')} named`,
  );
  if (report.events === 0) {
    const why = await missingChannel(connection, channel);
    io.err(`replayrail: nothing to index: ${why ?? `${channel} retains no event`}`);
  }
  return EXIT.ok;
}
