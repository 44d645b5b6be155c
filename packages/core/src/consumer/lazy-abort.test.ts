import { describe, expect, it } from 'vitest';
import { LazyAbort } from './lazy-abort.js';

describe('LazyAbort', () => {
  it('aborts a signal taken before, with the reason, once', () => {
    const abort = new LazyAbort();
    const { signal } = abort;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    expect(signal.aborted).toBe(false);
    abort.abort('first');
    abort.abort('second');
    expect(seen).toEqual(['first']);
    expect(abort.signal).toBe(signal);
  });

  it('gives an aborted signal when asked after the abort', () => {
    const abort = new LazyAbort();
    abort.abort('gone');
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe('gone');
  });
});
