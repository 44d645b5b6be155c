import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextTurn } from './next-turn.js';

describe('nextTurn', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('runs after the microtasks already queued', async () => {
    const order: string[] = [];
    const ran = new Promise<void>((resolve) =>
      nextTurn(() => {
        order.push('next turn');
        resolve();
      }),
    );
    void Promise.resolve().then(() => order.push('microtask'));
    await ran;
    expect(order).toEqual(['microtask', 'next turn']);
  });

  it('falls back to a zero timeout where the runtime has no setImmediate', async () => {
    vi.stubGlobal('setImmediate', undefined);
    const spy = vi.spyOn(globalThis, 'setTimeout');
    await new Promise<void>((resolve) => nextTurn(resolve));
    expect(spy).toHaveBeenCalledWith(expect.any(Function), 0);
  });
});
