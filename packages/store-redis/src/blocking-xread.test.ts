import { describe, expect, it } from 'vitest';
import { entriesOf } from './blocking-xread.js';

describe('entriesOf', () => {
  const entries = [['1-0', ['type', 'rpc']]];
  it('reads an XREAD reply in each shape the clients give it', () => {
    expect(entriesOf(null, 'k')).toEqual([]);
    expect(entriesOf([['k', entries]], 'k')).toEqual(entries); // RESP2
    expect(entriesOf(['k', entries], 'k')).toEqual(entries); // ioredis, flat
    expect(entriesOf({ k: entries }, 'k')).toEqual(entries); // node-redis
    expect(entriesOf(new Map([['k', entries]]), 'k')).toEqual(entries);
  });
  it('finds nothing for another key', () => {
    expect(entriesOf([['other', entries]], 'k')).toEqual([]);
    expect(entriesOf({ other: entries }, 'k')).toEqual([]);
  });
});
