/**
 * @module
 * The channels as resources: `replayrail://channels/{channel}`, whose read gives
 * the channel's newest events, and a list of the channels with a stream under the
 * prefix that the allow-list serves (a SCAN on one server, as the CLI's hints do:
 * on a cluster, or any failure, the list is empty and the template still reads).
 */

import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StoredEvent } from '@replayrail/core';
import { assertChannel } from '@replayrail/core/protocol';
import type { ToolContext } from './context.js';
import { fitted, wire } from './output.js';
import { answering, refuse } from './refusals.js';

/** Events a channel's resource shows, the newest. */
export const RECENT_EVENTS = 20;

const TEMPLATE = 'replayrail://channels/{channel}';
const MIME_TYPE = 'application/json';

/** A channel's resource URI: the template's simple expansion (RFC 6570 escapes its `:` and `/`). */
export function channelUri(channel: string): string {
  return `replayrail://channels/${encodeURIComponent(channel)}`;
}

// The channel's newest `count` events, oldest first: the ID before them found from
// the end of the stream (XREVRANGE, IDs only), the events read from there by the rail.
async function newestEvents(context: ToolContext, channel: string, count: number): Promise<StoredEvent[]> {
  const { connection } = context;
  const rail = await context.rails.of(channel);
  assertChannel(channel, rail.config.limits);
  const key = connection.store.streamKey({ prefix: connection.prefix, channel });
  const newest = (await connection.redis.xrevrange(key, '+', '-', 'COUNT', count + 1)) as [string, string[]][];
  const before = newest.length > count ? newest[count]?.[0] : undefined;
  const page = await rail.replay(
    channel,
    before === undefined ? { from: 'earliest', limit: count } : { after: before, limit: count },
  );
  return page.events;
}

// The channel a URI names: escaped as the list gives it, or as typed (`restaurant:123:orders`).
function channelOf(variable: string | string[] | undefined): string {
  const text = Array.isArray(variable) ? variable.join(',') : (variable ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    refuse(`${JSON.stringify(text)} is not a channel: a resource URI is ${TEMPLATE}, the channel URI-escaped`);
  }
}

export function registerChannelResources(server: McpServer, context: ToolContext): void {
  const list = async () => {
    let channels: string[];
    try {
      channels = await context.connection.store.channels(context.connection.prefix);
    } catch {
      channels = [];
    }
    return {
      resources: channels
        .filter((channel) => context.allow.allows(channel))
        .map((channel) => ({ uri: channelUri(channel), name: channel, mimeType: MIME_TYPE })),
    };
  };
  server.registerResource(
    'channel',
    new ResourceTemplate(TEMPLATE, { list }),
    {
      title: 'A channel and its newest events',
      description: `A ReplayRail channel: its ${RECENT_EVENTS} newest events, oldest first, as {"channel", "events"}. Read further back with the replay_channel tool.`,
      mimeType: MIME_TYPE,
    },
    (uri, variables) =>
      answering(async () => {
        const channel = context.allow.check(channelOf(variables.channel));
        const events = await newestEvents(context, channel, RECENT_EVENTS);
        // Too large for one answer: the newest that fit, since a resource shows what is recent.
        const answer = (count: number) => ({
          channel,
          events: events.slice(events.length - count).map(wire),
          ...(count < events.length && { truncated: true, olderLeftOut: events.length - count }),
        });
        const { text } = fitted(events.length, answer, context.maxOutputBytes, 'event');
        return { contents: [{ uri: uri.href, mimeType: MIME_TYPE, text }] };
      }),
  );
}
