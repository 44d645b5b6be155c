/**
 * @module
 * Runs a callback on the event loop's next turn, after the I/O callbacks already
 * due: `setImmediate` where the runtime has one (Node, Bun), else a zero timeout.
 * Looked up at each call, so fake timers in tests apply.
 */

type Schedule = (callback: () => void) => unknown;

export function nextTurn(callback: () => void): void {
  const immediate = (globalThis as { setImmediate?: Schedule }).setImmediate;
  if (immediate === undefined) setTimeout(callback, 0);
  else immediate(callback);
}
