/**
 * @module
 * `read_state`: a keyed channel's state, the latest event of each key: one key
 * (`rail.stateOf`), or a page of keys in key order (`rail.replay` from the
 * snapshot). Like `replayrail state`, only for a channel the server has a state
 * policy for (`--config`, `--key-field`); any other is refused saying so.
 */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StoredEvent } from '@replayrail/core';
import { z } from 'zod';
import type { KeyedRail } from './channel-rails.js';
import { channelField, limitField, type ToolContext } from './context.js';
import { firstFitting, fitted, textResult, wire } from './output.js';
import { answering, refuse } from './refusals.js';

const input = z.strictObject({
  channel: channelField,
  key: z
    .string()
    .min(1)
    .optional()
    .describe('Only this key\'s latest event (e.g. an order ID, "ord_123"). Without it, a page of keys.'),
  limit: limitField(50, 'keys'),
  after_key: z.string().optional().describe("Going on: the previous page's nextKey (with snapshot_cursor)."),
  snapshot_cursor: z
    .string()
    .optional()
    .describe("Going on: the previous page's snapshotCursor (with after_key), so every page shows the same moment."),
});

// An event's key as the policy computes it (null when it gives none: a state kept with another policy).
function keyOf(keyed: KeyedRail, event: StoredEvent): string | null {
  try {
    return keyed.keyOf(event);
  } catch {
    return null;
  }
}

export function registerState(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'read_state',
    {
      title: "Read a keyed channel's state",
      description:
        'The state of a keyed channel: the latest event of each key (an order\'s, a table\'s), kept beside the stream. With key: {"key", "event"}, or an error when the state does not hold it (never written, or deleted). Without: a page of {"entries": [{"key", "event"}], "snapshotCursor", "nextKey"} in key order; while nextKey is not null, call again with after_key = nextKey and snapshot_cursor = snapshotCursor. The state is exact at snapshotCursor: the channel\'s events after it (replay_channel with after = snapshotCursor) are what changed since. Only for channels the server knows a state policy for; others are refused.',
      inputSchema: input,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      answering(async () => {
        const channel = context.allow.check(args.channel);
        const keyed = await context.rails.keyed(channel);
        if (args.key !== undefined) {
          const event = await keyed.rail.stateOf(channel, args.key);
          if (event === null) {
            const keys = await keyed.rail.stateSize(channel);
            refuse(`no key ${args.key} in the state of ${channel} (never written, or deleted); it holds ${keys} keys`);
          }
          return textResult(firstFitting([{ channel, key: args.key, event: wire(event) }], context.maxOutputBytes));
        }
        const page = await keyed.rail.replay(channel, {
          from: 'snapshot',
          limit: args.limit,
          ...(args.snapshot_cursor !== undefined && { snapshotCursor: args.snapshot_cursor }),
          ...(args.after_key !== undefined && { afterKey: args.after_key }),
        });
        const { events } = page;
        const at = page.snapshot?.cursor ?? null;
        const answer = (count: number) => {
          const shown = events.slice(0, count);
          const last = shown[shown.length - 1];
          return {
            channel,
            entries: shown.map((event) => ({ key: keyOf(keyed, event), event: wire(event) })),
            snapshotCursor: at,
            // Cut short: on after the last key shown, at the same cursor.
            nextKey:
              count < events.length && last !== undefined ? keyOf(keyed, last) : (page.snapshot?.nextKey ?? null),
            truncated: count < events.length,
          };
        };
        return textResult(fitted(events.length, answer, context.maxOutputBytes, 'key').text);
      }),
  );
}
