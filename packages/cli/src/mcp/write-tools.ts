/**
 * @module
 * The tools that change something: `publish` (`rail.publish`) and `redrive`
 * (`rail.group(...).redrive`). Registered only with `--allow-write`: without it
 * they are not there at all, so a call to one is the SDK's "tool not found".
 */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JsonObject } from '@replayrail/core';
import { z } from 'zod';
import { channelField, groupField, MAX_LIMIT, type ToolContext } from './context.js';
import { groupFigures } from './figures-tools.js';
import { firstFitting, textResult, wire } from './output.js';
import { answering } from './refusals.js';

const jsonObject = z.record(z.string(), z.unknown());

const publishInput = z.strictObject({
  channel: channelField,
  type: z.string().min(1).describe('The event type, e.g. "order.created".'),
  payload: jsonObject.describe('The event\'s payload, a JSON object, e.g. {"order_id": "ord_123"}.'),
  actor: jsonObject.optional().describe('Who caused the event, a JSON object, e.g. {"type": "agent", "id": "…"}.'),
  metadata: jsonObject
    .optional()
    .describe("Audit context, a JSON object; metadata.correlation_id puts the event in a workflow's lineage."),
  event_id: z
    .string()
    .min(1)
    .optional()
    .describe('The event ID, to make the publish idempotent: publishing again with it returns the first event.'),
});

const redriveInput = z.strictObject({
  channel: channelField,
  group: groupField,
  ids: z
    .union([z.array(z.string()).min(1).max(MAX_LIMIT), z.literal('all')])
    .describe('The dead letters to put back: their ids (from list_dead_letters), or "all".'),
});

export function registerWriteTools(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'publish',
    {
      title: 'Publish an event',
      description:
        'Stores one event on a channel and returns it as stored, with its cursor (id) and created_at. Subscribers and consumer groups receive it like any other. It is permanent: published events are never edited or removed.',
      inputSchema: publishInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      answering(async () => {
        const channel = context.allow.check(args.channel);
        // The channel's state policy, if any: a keyed channel's state changes as the application's publishes change it.
        const rail = await context.rails.of(channel, { writes: true });
        const event = await rail.publish({
          channel,
          type: args.type,
          payload: args.payload as JsonObject,
          ...(args.actor !== undefined && { actor: args.actor as JsonObject }),
          ...(args.metadata !== undefined && { metadata: args.metadata as JsonObject }),
          ...(args.event_id !== undefined && { eventId: args.event_id }),
        });
        // Stored whatever the answer's size: an event too large to show is named by its cursor and IDs.
        const named = {
          id: event.id,
          event_id: event.event_id,
          channel,
          type: event.type,
          created_at: event.created_at,
        };
        return textResult(
          firstFitting([{ event: wire(event) }, { event: named, truncated: true }], context.maxOutputBytes),
        );
      }),
  );

  server.registerTool(
    'redrive',
    {
      title: "Redrive a consumer group's dead letters",
      description:
        'Puts dead letters back for the consumer group to handle again, before newer events: {"redriven": n}. ids not among the group\'s dead letters are counted in notDeadLetters. Run list_dead_letters first to see what failed and why.',
      inputSchema: redriveInput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      answering(async () => {
        const channel = context.allow.check(args.channel);
        await groupFigures(context, channel, args.group); // an unknown group: refused, naming those there are
        const rail = await context.rails.of(channel);
        const redriven = await rail.group(channel, args.group).redrive(args.ids);
        const notDeadLetters = args.ids === 'all' ? 0 : args.ids.length - redriven;
        return textResult(JSON.stringify({ channel, group: args.group, redriven, notDeadLetters }));
      }),
  );
}
