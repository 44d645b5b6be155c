import { defineConfig } from 'vitest/config';

// Tests import sibling packages from their TypeScript source (the `@replayrail/source`
// export condition), so `pnpm test` needs no build and a stack trace points at src/.
const sourceConditions = ['@replayrail/source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    // Finds one Redis for the run (REDIS_URL, 127.0.0.1:6379, testcontainers or a
    // redis-server binary) and hands its URL to the Redis-backed suites.
    globalSetup: ['packages/testkit/src/global-setup.ts'],
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'examples/**/*.test.ts', 'scripts/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.reports/vitest.json' }]],
  },
});
