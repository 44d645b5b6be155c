import { describe, expect, it } from 'vitest';
import { keysOf } from './stream-watcher.js';

describe('keysOf', () => {
  it('reads the keys of an XREAD reply in every shape the clients give', () => {
    const entries = [['1-0', ['f', 'v']]];
    expect(keysOf(null)).toEqual([]);
    expect(keysOf(undefined)).toEqual([]);
    // RESP2: [[key, entries], …]
    expect(
      keysOf([
        ['a', entries],
        ['b', entries],
      ]),
    ).toEqual(['a', 'b']);
    // RESP3 maps: a Map, a plain object, or a flat array
    expect(keysOf(new Map([['a', entries]]))).toEqual(['a']);
    expect(keysOf({ a: entries, b: entries })).toEqual(['a', 'b']);
    expect(keysOf(['a', entries, 'b', entries])).toEqual(['a', 'b']);
  });
});
