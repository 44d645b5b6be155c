/**
 * @module
 * `list_dead_letters`: a consumer group's dead letters, oldest first, a page at a
 * time (`rail.group(channel, group).deadLetters`), as `replayrail dead-letters
 * --json` prints them.
 */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { DeadLetter } from '@replayrail/core';
import { z } from 'zod';
import { channelField, groupField, limitField, type ToolContext } from './context.js';
import { groupFigures } from './figures-tools.js';
import { fitted, textResult, wire } from './output.js';
import { answering } from './refusals.js';

const input = z.strictObject({
  channel: channelField,
  group: groupField,
  after: z
    .string()
    .optional()
    .describe('Only dead letters after this one: the id of the last dead letter of a previous page (its next).'),
  limit: limitField(50, 'dead letters'),
});

// A dead letter for a model: the event in wire order; the raw fields only when they could not be decoded.
function shown(letter: DeadLetter): unknown {
  const { fields, event, ...rest } = letter;
  return event === undefined ? { ...rest, event: null, fields } : { ...rest, event: wire(event) };
}

export function registerDeadLetters(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'list_dead_letters',
    {
      title: "List a consumer group's dead letters",
      description:
        'A consumer group\'s dead letters, oldest first: {"deadLetters", "next", "hasMore"}. Each has its id (what redrive takes), origin (its cursor in the channel), attempts, lastFailedAt, consumer, errorName, errorMessage and the event (null, with the raw fields, when it could not be decoded). To read on, call again with after = next while hasMore is true.',
      inputSchema: input,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      answering(async () => {
        const channel = context.allow.check(args.channel);
        await groupFigures(context, channel, args.group); // an unknown group: refused, naming those there are
        const rail = await context.rails.of(channel);
        const letters = await rail
          .group(channel, args.group)
          .deadLetters({ limit: args.limit, ...(args.after !== undefined && { after: args.after }) });
        const answer = (count: number) => {
          const page = letters.slice(0, count);
          return {
            channel,
            group: args.group,
            deadLetters: page.map(shown),
            next: page[page.length - 1]?.id ?? args.after ?? null,
            hasMore: count < letters.length || letters.length === args.limit,
            truncated: count < letters.length,
          };
        };
        return textResult(fitted(letters.length, answer, context.maxOutputBytes, 'dead letter').text);
      }),
  );
}
