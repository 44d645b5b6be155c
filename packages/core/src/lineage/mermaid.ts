/**
 * @module
 * `toMermaid`: a lineage as a Mermaid flowchart (docs/lineage.md). A node per event
 * (its type, channel and time), an arrow from each cause to its effect, a node per
 * mark (dead-lettered, redriven) after its event, and a dashed node for a cause the
 * lineage does not hold, saying why. The same lineage always gives the same text.
 */

import type { LineageMark } from '../store/lineage-store.js';
import type { Lineage } from './lineage.js';

/** Options of `toMermaid`. */
export interface MermaidOptions {
  /** Top to bottom (`TD`) or left to right (`LR`). @default 'TD' */
  direction?: 'TD' | 'LR';
}

// Mermaid's entity codes for what would end or break a quoted label.
const ENTITIES: Record<string, string> = { '"': '#quot;', '<': '#lt;', '>': '#gt;', '#': '#35;' };

function label(lines: readonly string[]): string {
  return `"${lines.map((line) => line.replace(/["<>#]/g, (c) => ENTITIES[c] as string)).join('<br/>')}"`;
}

// The time of a created_at to the millisecond: `12:00:00.123`, or `12:00:00` without a fraction.
function timeOf(createdAt: string): string {
  const time = createdAt.slice(11).replace(/Z$/, '');
  return time.length > 12 ? time.slice(0, 12) : time;
}

function markLines(mark: LineageMark): string[] {
  const head = `${mark.kind} by ${mark.group}`;
  return mark.reason === undefined ? [head, timeOf(mark.at)] : [head, mark.reason, timeOf(mark.at)];
}

/**
 * A Mermaid flowchart of a lineage: paste it into any Mermaid renderer, a Markdown
 * file on GitHub, or `mermaid.render` in a page.
 *
 * @example
 * const lineage = await rail.lineage('req_abc123');
 * console.log(toMermaid(lineage)); // flowchart TD\n  n0["order.created<br/>…
 */
export function toMermaid(lineage: Lineage, options: MermaidOptions = {}): string {
  const lines = [`flowchart ${options.direction ?? 'TD'}`];
  const ids = new Map<string, string>();
  lineage.nodes.forEach(({ event }, index) => {
    const id = `n${index}`;
    ids.set(event.event_id, id);
    lines.push(`  ${id}[${label([event.type, event.channel, timeOf(event.created_at)])}]`);
  });
  let marks = 0;
  for (const { event, marks: list } of lineage.nodes) {
    let from = ids.get(event.event_id) as string;
    for (const mark of list) {
      const id = `m${marks++}`;
      lines.push(`  ${id}([${label(markLines(mark))}]):::mark`, `  ${from} -.-> ${id}`);
      from = id;
    }
  }
  let missing = 0;
  for (const edge of lineage.edges) {
    const effect = ids.get(edge.effect) as string;
    if (edge.dangling === undefined) {
      lines.push(`  ${ids.get(edge.cause)} --> ${effect}`);
      continue;
    }
    const id = `x${missing++}`;
    const where = edge.causeAt === undefined ? [] : [`${edge.causeAt.channel} ${edge.causeAt.id}`];
    lines.push(
      `  ${id}[${label([`cause ${edge.cause}`, edge.dangling === 'trimmed' ? 'trimmed' : 'not in the lineage', ...where])}]:::dangling`,
      `  ${id} -.-> ${effect}`,
    );
  }
  if (marks > 0) lines.push('  classDef mark fill:#fff4e0,stroke:#c77700');
  if (missing > 0) lines.push('  classDef dangling stroke-dasharray:5 5,color:#777');
  return `${lines.join('\n')}\n`;
}
