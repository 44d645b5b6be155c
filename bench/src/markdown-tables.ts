/**
 * @module
 * Pads every Markdown table in a report the way the project's formatter (Biome)
 * does, so a results file a benchmark writes passes `pnpm lint` as it is: drivers
 * build their tables line by line, and a column's width is only known at the end.
 */

const isRow = (line: string): boolean => line.startsWith('|') && line.trimEnd().endsWith('|');

// The cells of a row, trimmed (a `\|` inside a cell is text, not a border).
function cellsOf(line: string): string[] {
  return line
    .trim()
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

// The rows of one table, each cell padded to its column's width; the rule row's
// colons say which columns are right-aligned (`---:`), centred (`:---:`) or left.
function alignTable(rows: string[][]): string[] {
  const rule = rows[1] ?? [];
  const align = rule.map((cell) =>
    cell.endsWith(':') ? (cell.startsWith(':') ? 'center' : 'right') : cell.startsWith(':') ? 'left-marked' : 'left',
  );
  const columns = Math.max(...rows.map((cells) => cells.length));
  const widths = Array.from({ length: columns }, (_, i) =>
    Math.max(3, ...rows.map((cells, r) => (r === 1 ? 3 : (cells[i] ?? '').length))),
  );
  return rows.map((cells, r) => {
    const padded = widths.map((width, i) => {
      const cell = cells[i] ?? '';
      const how = align[i] ?? 'left';
      if (r === 1) {
        const dashes = '-'.repeat(width - (how === 'center' ? 2 : how === 'left' ? 0 : 1));
        return how === 'center'
          ? `:${dashes}:`
          : how === 'right'
            ? `${dashes}:`
            : how === 'left'
              ? dashes
              : `:${dashes}`;
      }
      if (how === 'right') return cell.padStart(width);
      if (how === 'center') return cell.padStart(Math.floor((width + cell.length) / 2)).padEnd(width);
      return cell.padEnd(width);
    });
    return `| ${padded.join(' | ')} |`;
  });
}

/** `text` with each of its Markdown tables (a header, a rule row, then rows) padded as Biome pads them. */
export function alignTables(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let end = i;
    while (end < lines.length && isRow(lines[end] as string)) end++;
    // A table needs its header and rule row; anything else that starts with | is left as it is.
    if (end - i >= 2 && /^\|[\s:|-]+\|$/.test((lines[i + 1] as string).trim())) {
      out.push(...alignTable(lines.slice(i, end).map(cellsOf)));
      i = end;
    } else {
      out.push(...lines.slice(i, Math.max(end, i + 1)));
      i = Math.max(end, i + 1);
    }
  }
  return out.join('\n');
}
