/**
 * @module
 * `replayrail publish <channel> <type> [<payload-json> | -]`: stores one event (or,
 * with `-`, one per line of stdin) and prints each stored envelope as a JSON line.
 */

import type { JsonObject } from '@replayrail/core';
import { checkAgainstCatalog } from '@replayrail/core/schema';
import { loadCatalog } from '../catalog.js';
import type { Connection } from '../connect.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { eventLine } from '../format.js';
import type { CliIo } from '../io.js';
import { parseJsonObject, UsageError } from '../parse.js';

export interface PublishOptions {
  eventId?: string;
  actor?: string;
  metadata?: string;
  catalog?: string;
}

export async function publish(
  connection: Connection,
  io: CliIo,
  channel: string,
  type: string,
  payload: string | undefined,
  options: PublishOptions,
): Promise<ExitCode> {
  const actor = options.actor === undefined ? undefined : parseJsonObject(options.actor, '--actor');
  const metadata = options.metadata === undefined ? undefined : parseJsonObject(options.metadata, '--metadata');
  const catalog = options.catalog === undefined ? undefined : await loadCatalog(options.catalog);
  const one = async (body: JsonObject, eventId: string | undefined): Promise<void> => {
    const event = await connection.rail.publish({
      channel,
      type,
      // As the application's routes store it: the catalog's schema output (or a refusal naming the field).
      payload: catalog === undefined ? body : checkAgainstCatalog(catalog, type, body),
      ...(actor !== undefined && { actor }),
      ...(metadata !== undefined && { metadata }),
      ...(eventId !== undefined && { eventId }),
    });
    io.out(eventLine(event, true));
  };
  if (payload !== '-') {
    await one(payload === undefined ? {} : parseJsonObject(payload, 'the payload'), options.eventId);
    return EXIT.ok;
  }
  if (options.eventId !== undefined)
    throw new UsageError('--event-id names one event: it cannot be used with - (one per line)');
  let line = 0;
  for await (const text of io.lines()) {
    line++;
    if (text.trim() === '') continue;
    // Each line is checked before it is stored: a bad one stops here, those before it stay stored.
    await one(parseJsonObject(text, `line ${line} of stdin`), undefined);
  }
  return EXIT.ok;
}
