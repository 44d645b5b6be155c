/**
 * @module
 * What every tool and resource of the server works with, and the input fields
 * they share, described for a model.
 */

import { z } from 'zod';
import type { Connection } from '../connect.js';
import type { AllowList } from './allow-list.js';
import type { ChannelRails } from './channel-rails.js';

export interface ToolContext {
  readonly connection: Connection;
  /** The channels the server may name (`--channels`). */
  readonly allow: AllowList;
  /** The rail for a channel, with its state policy (`--config`, `--key-field`). */
  readonly rails: ChannelRails;
  /** The most bytes of JSON text one answer holds (`--max-output-bytes`). */
  readonly maxOutputBytes: number;
}

/** The most events, keys or dead letters one call may ask for: the rail's own page limit. */
export const MAX_LIMIT = 1_000;

export const channelField = z
  .string()
  .min(1)
  .describe(
    'The channel, e.g. "restaurant:123:orders". The server\'s resources (replayrail://channels/…) list the channels it serves.',
  );

export const groupField = z
  .string()
  .min(1)
  .describe('The consumer group, e.g. "ticket-printer" (stream_info lists a channel\'s groups).');

/** A page size: `fallback` when not given, 1 to MAX_LIMIT. */
export const limitField = (fallback: number, what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(fallback)
    .describe(`Most ${what} to return (1 to ${MAX_LIMIT}). Fewer come back when the answer would be too large.`);
