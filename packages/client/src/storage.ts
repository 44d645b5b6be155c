/**
 * @module
 * Where a client keeps each channel's cursor between connections and page loads.
 */

/**
 * Keeps the cursor of each channel: the `id` of the last event its handler
 * finished with. Pass your own (IndexedDB, or the store your app state lives in,
 * so that state and cursor are saved together).
 */
export interface CursorStorage {
  get(channel: string): string | null | undefined | Promise<string | null | undefined>;
  /** `null` forgets the channel's cursor (after expiry). */
  set(channel: string, cursor: string | null): void | Promise<void>;
}

/** Cursors in memory: they last as long as the page or process. */
export function memoryStorage(): CursorStorage {
  const cursors = new Map<string, string | null>();
  return {
    get: (channel) => cursors.get(channel),
    set: (channel, cursor) => {
      cursors.set(channel, cursor);
    },
  };
}

/** Cursors in `localStorage` under `<prefix><channel>`: they survive a reload. */
export function localStorageCursors(prefix = 'replayrail:'): CursorStorage {
  return {
    get: (channel) => localStorage.getItem(prefix + channel),
    set: (channel, cursor) =>
      cursor === null ? localStorage.removeItem(prefix + channel) : localStorage.setItem(prefix + channel, cursor),
  };
}

/** `localStorage` where there is one (browsers), else memory. */
export function defaultStorage(): CursorStorage {
  return typeof localStorage === 'undefined' ? memoryStorage() : localStorageCursors();
}
