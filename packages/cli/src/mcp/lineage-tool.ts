/**
 * @module
 * `read_lineage`: one workflow's events across channels and which caused which
 * (`rail.lineage`, docs/lineage.md), with its Mermaid drawing (`toMermaid`). A
 * lineage crosses channels, so the allow-list applies to its nodes: those on a
 * channel the server does not serve are removed and counted (`hidden`), with every
 * edge that touches them, or names where one was.
 */

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type Lineage, toMermaid } from '@replayrail/core';
import { z } from 'zod';
import type { AllowList } from './allow-list.js';
import { limitField, type ToolContext } from './context.js';
import { fitted, textResult, wire } from './output.js';
import { answering } from './refusals.js';

const input = z.strictObject({
  correlation_id: z
    .string()
    .min(1)
    .describe('The workflow\'s correlation ID: the metadata.correlation_id of its events, e.g. "req_abc123".'),
  limit: limitField(100, 'events, the oldest first'),
});

// Why a lineage can be empty, for the model to say rather than guess.
const NOT_INDEXED =
  'no event is indexed under this correlation ID: events are indexed only by a rail whose config has lineage.index on, and only while the index is kept (config.lineage.ttlMs)';

/** The lineage with its first `count` nodes, and only the edges between what it keeps. */
function cut(lineage: Lineage, count: number): Lineage {
  const nodes = lineage.nodes.slice(0, count);
  const kept = new Set(nodes.map((node) => node.event.event_id));
  const edges = lineage.edges.filter(
    (edge) => kept.has(edge.effect) && (edge.dangling !== undefined || kept.has(edge.cause)),
  );
  return { ...lineage, nodes, edges, truncated: lineage.truncated || count < lineage.nodes.length };
}

/** The lineage without the nodes on channels `allow` refuses, and how many it left out. */
function visible(lineage: Lineage, allow: AllowList): { lineage: Lineage; hidden: number } {
  const nodes = lineage.nodes.filter((node) => allow.allows(node.event.channel));
  const shown = new Set(nodes.map((node) => node.event.event_id));
  // A dangling edge may say where its cause was (causeAt): a channel that is not served is not named either.
  const causeShown = (edge: Lineage['edges'][number]) =>
    edge.dangling === undefined
      ? shown.has(edge.cause)
      : edge.causeAt === undefined || allow.allows(edge.causeAt.channel);
  const edges = lineage.edges.filter((edge) => shown.has(edge.effect) && causeShown(edge));
  return { lineage: { ...lineage, nodes, edges }, hidden: lineage.nodes.length - nodes.length };
}

export function registerLineage(server: McpServer, context: ToolContext): void {
  server.registerTool(
    'read_lineage',
    {
      title: "Trace a workflow's events",
      description:
        'Every event of one workflow (its correlation ID) across channels, oldest first, and which event caused which: {"nodes": [{"event", "via", "marks"}], "edges": [{"cause", "effect", "dangling"?}], "truncated", "hidden", "mermaid"}. Edges name events by event_id. via "cause" is a root event published without the correlation; marks say where a consumer group dead-lettered or redrove it. A dangling edge\'s cause is not in the lineage ("trimmed": no longer retained; "unknown": never indexed). hidden counts events on channels this server does not serve, left out with their edges. mermaid is a flowchart of what is shown.',
      inputSchema: input,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ correlation_id, limit }) =>
      answering(async () => {
        const whole = await context.connection.rail.lineage(correlation_id, { limit });
        const { lineage, hidden } = visible(whole, context.allow);
        const answer = (count: number) => {
          const shown = cut(lineage, count);
          return {
            correlationId: shown.correlationId,
            nodes: shown.nodes.map((node) => ({ ...node, event: wire(node.event) })),
            edges: shown.edges,
            truncated: shown.truncated,
            hidden,
            mermaid: toMermaid(shown),
            ...(whole.nodes.length === 0 && { note: NOT_INDEXED }),
          };
        };
        return textResult(fitted(lineage.nodes.length, answer, context.maxOutputBytes, 'event').text);
      }),
  );
}
