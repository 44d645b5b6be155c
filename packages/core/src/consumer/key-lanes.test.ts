import { describe, expect, it } from 'vitest';
import { KeyLanes } from './key-lanes.js';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyLanes', () => {
  it('runs tasks of one key one at a time in order, other keys and keyless tasks meanwhile, past failures', async () => {
    const lanes = new KeyLanes();
    const log: string[] = [];
    const task =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await tick(ms);
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    const all = [
      lanes.run('a', task('a1', 20, true)),
      lanes.run('a', task('a2', 1)),
      lanes.run('b', task('b1', 5)),
      lanes.run(undefined, task('free', 1)),
    ];
    expect(lanes.size).toBe(2);
    await Promise.all(all);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
    expect(log.indexOf('start free')).toBeLessThan(log.indexOf('end a1'));
    await tick();
    expect(lanes.size).toBe(0);
  });
});
