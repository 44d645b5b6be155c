// What the global setup hands to tests through vitest's provide/inject.
declare module 'vitest' {
  interface ProvidedContext {
    /** The Redis URL for Redis-backed suites, or null when none was found (they skip). */
    redisUrl: string | null;
  }
}

export {};
