import { describe, expect, it } from 'vitest';
import { KeyLanes } from './key-lanes.js';

describe('KeyLanes', () => {
  it('gives a key to one item at a time, in the order they came; other keys and keyless items go at once', () => {
    const lanes = new KeyLanes<string>();
    expect(lanes.enter('a', 'a1')).toBe(true);
    expect(lanes.enter('a', 'a2')).toBe(false);
    expect(lanes.enter('a', 'a3')).toBe(false);
    expect(lanes.enter('b', 'b1')).toBe(true);
    expect(lanes.enter(undefined, 'free')).toBe(true);
    expect(lanes.size).toBe(2);
    expect([lanes.waits('a'), lanes.waits('b'), lanes.waits(undefined)]).toEqual([true, false, false]);
    expect(lanes.leave('a')).toBe('a2');
    expect(lanes.enter('a', 'a4')).toBe(false); // behind a3
    expect(lanes.leave('a')).toBe('a3');
    expect(lanes.leave('a')).toBe('a4');
    expect(lanes.leave('a')).toBeUndefined();
    expect(lanes.leave('b')).toBeUndefined();
    expect(lanes.size).toBe(0);
    expect(lanes.leave(undefined)).toBeUndefined();
    expect(lanes.enter('a', 'a5')).toBe(true); // a key left free is free again
  });

  it('clear forgets every key', () => {
    const lanes = new KeyLanes<number>();
    lanes.enter('a', 1);
    lanes.enter('a', 2);
    lanes.clear();
    expect(lanes.size).toBe(0);
    expect(lanes.enter('a', 3)).toBe(true);
  });
});
