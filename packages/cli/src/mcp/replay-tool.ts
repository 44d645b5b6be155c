/**
 * @module
 * `replay_channel`: one page of a channel's retained events, in order, as
 * `rail.replay` gives it (`{ events, next, hasMore }`), from a cursor, an end, a
 * time or a keyed channel's snapshot.
 */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReplayOptions, ReplayRail } from '@replayrail/core';
import { z } from 'zod';
import { startOptions } from '../parse.js';
import { channelField, limitField, type ToolContext } from './context.js';
import { fitted, textResult, wire } from './output.js';
import { answering, refuse } from './refusals.js';

const input = z.strictObject({
  channel: channelField,
  after: z
    .string()
    .optional()
    .describe(
      'Start after this cursor: an event\'s id ("1719367320123-0"), or the next of a previous page. "0-0" is the start of the channel.',
    ),
  from: z
    .enum(['earliest', 'latest', 'snapshot'])
    .optional()
    .describe(
      "Start at the first retained event (earliest, the default), at the end (latest: no events, and next is the current end, to read from later), or at a keyed channel's state (snapshot: the latest event of each key, in key order, then what follows). Give at most one of after, from and since.",
    ),
  since: z
    .string()
    .optional()
    .describe('Start at the first event at or after this time: ISO 8601 with a zone, e.g. "2026-06-29T12:00:00Z".'),
  until: z
    .string()
    .optional()
    .describe('Stop after this cursor, or after the last event at or before this ISO 8601 time. Not with snapshot.'),
  limit: limitField(50, 'events'),
  snapshot_cursor: z
    .string()
    .optional()
    .describe("Going on with a snapshot: the previous page's snapshot.cursor (with from: snapshot and after_key)."),
  after_key: z.string().optional().describe("Going on with a snapshot: the previous page's snapshot.nextKey."),
});

export function registerReplay(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'replay_channel',
    {
      title: "Read a channel's events",
      description:
        'One page of a channel\'s retained events, oldest first: {"events", "next", "hasMore"}. To read on, call again with after = next while hasMore is true. "truncated": true means fewer events than limit were returned to keep the answer small: go on from next all the same. A snapshot page (from: snapshot) also has "snapshot": {"cursor", "nextKey"}; while nextKey is not null, go on with from: snapshot, snapshot_cursor = snapshot.cursor, after_key = snapshot.nextKey; after its last page, next is the cursor to read on after. An error naming replay_window_expired means the history asked for is gone.',
      inputSchema: input,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => answering(async () => textResult(await replayPage(context, args))),
  );
}

async function replayPage(context: ToolContext, args: z.infer<typeof input>): Promise<string> {
  const channel = context.allow.check(args.channel);
  const snapshot = args.from === 'snapshot';
  // A snapshot needs the channel's state policy: refused with how to give one when it has none.
  const keyed = snapshot ? await context.rails.keyed(channel) : undefined;
  const rail: ReplayRail = keyed?.rail ?? (await context.rails.of(channel));
  const options: ReplayOptions = {
    ...startOptions({
      ...(args.from !== undefined && { from: args.from }),
      ...(args.since !== undefined && { since: args.since }),
    }),
    ...(args.after !== undefined && { after: args.after }),
    ...(args.until !== undefined && { until: args.until }),
    ...(args.snapshot_cursor !== undefined && { snapshotCursor: args.snapshot_cursor }),
    ...(args.after_key !== undefined && { afterKey: args.after_key }),
    limit: args.limit,
  };
  const page = await rail.replay(channel, options);
  const { events } = page;
  return fitted(
    events.length,
    (count) => {
      const shown = events.slice(0, count);
      if (count === events.length) return { channel, ...page, events: shown.map(wire), truncated: false };
      const last = shown[shown.length - 1];
      if (page.snapshot === undefined || keyed === undefined || last === undefined) {
        return { channel, events: shown.map(wire), next: last?.id ?? page.next, hasMore: true, truncated: true };
      }
      // A snapshot cut short goes on after the last key shown, at the same cursor.
      const nextKey =
        keyed.keyOf(last) ??
        refuse(
          `the page is too large, and the policy gives no key for ${last.id} to go on after: ask for fewer events`,
        );
      const snapshotPosition = { cursor: page.snapshot.cursor, nextKey };
      return {
        channel,
        events: shown.map(wire),
        next: null,
        hasMore: true,
        snapshot: snapshotPosition,
        truncated: true,
      };
    },
    context.maxOutputBytes,
    'event',
  ).text;
}
