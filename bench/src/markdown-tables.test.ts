import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alignTables } from './markdown-tables.js';

const results = new URL('../results/', import.meta.url);
const files = readdirSync(results).filter((name) => name.endsWith('.md'));

// The same text with every table's padding taken out, as a driver writes it line by line.
const unpadded = (text: string) =>
  text
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split(/(?<!\\)\|/)
            .map((cell) => cell.trim())
            .join('|')
            .replace(/-{3,}/g, '---')
        : line,
    )
    .join('\n');

describe('alignTables', () => {
  it.each(files)('gives %s back as the formatter left it, from the unpadded text and from itself', (name) => {
    const formatted = readFileSync(new URL(name, results), 'utf8');
    expect(formatted).toContain('| ---');
    expect(unpadded(formatted)).not.toBe(formatted);
    expect(alignTables(unpadded(formatted))).toBe(formatted);
    expect(alignTables(formatted)).toBe(formatted);
  });

  it('keeps the alignment each rule cell gives, as Biome does, and leaves lines that are no table alone', () => {
    // What `biome format` made of this text (by hand once; a blank line before a table is the driver's to write).
    const text = [
      'intro | not a table',
      '',
      '|a|b|c|d|',
      '|---|:---|---:|:---:|',
      '|one|two|3|x|',
      '',
      '| lone |',
    ].join('\n');
    expect(alignTables(text).split('\n')).toEqual([
      'intro | not a table',
      '',
      '| a   | b   |   c |  d  |',
      '| --- | :-- | --: | :-: |',
      '| one | two |   3 |  x  |',
      '',
      '| lone |',
    ]);
  });
});
