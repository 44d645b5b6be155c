import { defineConfig } from 'vitest/config';

// Tests import sibling packages from their TypeScript source (the `@replayrail/source`
// export condition), so `pnpm test` needs no build and a stack trace points at src/.
const sourceConditions = ['@replayrail/source', 'import', 'module', 'node', 'default'];

// The READMEs' commands (scripts/readme-commands.test.ts) build and start the demo
// as a reader would: they run after every other test, never beside one that reads
// the built files they rewrite.
const READMES = 'scripts/readme-commands.test.ts';

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    // Finds one Redis for the run (REDIS_URL, 127.0.0.1:6379, testcontainers or a
    // redis-server binary) and hands its URL to the Redis-backed suites.
    globalSetup: ['packages/testkit/src/global-setup.ts'],
    reporters: ['default', ['json', { outputFile: '.reports/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'packages',
          include: [
            'packages/*/src/**/*.test.ts',
            'apps/*/src/**/*.test.ts',
            'examples/**/*.test.ts',
            'scripts/*.test.ts',
            'bench/src/**/*.test.ts',
          ],
          exclude: [READMES, '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'readmes', include: [READMES], sequence: { groupOrder: 1 } } },
    ],
  },
});
