/**
 * @module
 * `stream_info` and `group_info`: a channel's stream figures with its consumer
 * groups (what `replayrail info --json` prints), and one group's figures.
 */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GroupInfo } from '@replayrail/core';
import { z } from 'zod';
import { channelInfo } from '../commands/info.js';
import { groupsOf } from '../commands/not-found.js';
import { channelField, groupField, type ToolContext } from './context.js';
import { fitted, textResult } from './output.js';
import { answering, refuse } from './refusals.js';

/** A group's figures, or a refusal naming the groups the channel has. */
export async function groupFigures(context: ToolContext, channel: string, group: string): Promise<GroupInfo> {
  const info = await (await context.rails.of(channel)).group(channel, group).info();
  if (info === null) refuse(`no consumer group ${group} on ${channel}; ${await groupsOf(context.connection, channel)}`);
  return info;
}

export function registerFigures(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'stream_info',
    {
      title: "A channel's stream figures",
      description:
        "A channel's stream as Redis keeps it: exists, length, firstId and lastId (cursors), lastGeneratedId, entriesAdded, the retention figures (maxDeletedEntryId, recordedFirstEntryId) and each consumer group with its lag, pending entries, dead letters and consumers. A channel with no stream says exists: false.",
      inputSchema: z.strictObject({ channel: channelField }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ channel }) =>
      answering(async () => {
        const figures = await channelInfo(context.connection, context.allow.check(channel));
        const { groups } = figures;
        const answer = (count: number) => ({
          ...figures,
          groups: groups.slice(0, count),
          ...(count < groups.length && { truncated: true, groupsLeftOut: groups.length - count }),
        });
        return textResult(fitted(groups.length, answer, context.maxOutputBytes, 'group').text);
      }),
  );

  server.registerTool(
    'group_info',
    {
      title: "A consumer group's figures",
      description:
        "One consumer group of a channel: pending (delivered, not yet acknowledged), lag (events it has not read yet), lastDelivered (a cursor), deadLetters, redriving (dead letters put back and not yet read again) and its consumers with their pending entries and idle time. An unknown group is an error naming the channel's groups.",
      inputSchema: z.strictObject({ channel: channelField, group: groupField }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ channel, group }) =>
      answering(async () => {
        const info = await groupFigures(context, context.allow.check(channel), group);
        const { consumers } = info;
        const answer = (count: number) => ({
          channel,
          group,
          ...info,
          consumers: consumers.slice(0, count),
          ...(count < consumers.length && { truncated: true, consumersLeftOut: consumers.length - count }),
        });
        return textResult(fitted(consumers.length, answer, context.maxOutputBytes, 'consumer').text);
      }),
  );
}
