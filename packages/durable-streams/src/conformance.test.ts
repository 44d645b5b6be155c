// The Durable Streams protocol's own conformance suite
// (@durable-streams/server-conformance-tests, the latest the registry serves), run
// against these routes on a real server, on the memory store and on the run's Redis
// (RedisStreamStore, under a key prefix of its own, deleted afterwards). Its CLI does not find
// its tests when installed as a dependency, so its `runConformanceTests` is called
// here: it declares its tests with this run's vitest (pnpm-workspace.yaml overrides
// its own vitest with ours).
//
// Every group runs, forks included (PROTOCOL.md section 4.2, the suite's `Fork - …`
// groups); a group this server could not pass would be listed in NOT_IMPLEMENTED,
// skipped, counted, and named in the summary this file prints (README, "Conformance").

import type { AddressInfo } from 'node:net';
import { runConformanceTests } from '@durable-streams/server-conformance-tests';
import { serve } from '@hono/node-server';
import { type EventStore, ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { RedisStreamStore } from '@replayrail/store-redis';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, type RunnerTestSuite } from 'vitest';
import { type DurableStreamsRoutes, durableStreams } from './index.js';

/** The suite's test groups this server does not pass yet, and why: skipped, not failed. */
const NOT_IMPLEMENTED: readonly { readonly prefix: string; readonly reason: string }[] = [];

/** The suite's group of the reserved subscription APIs, which it skips unless asked to run them. */
const SUBSCRIPTIONS = 'Reserved subscription APIs';

/** The long-poll timeout of the server under test: the suite allows it plus a second per test. */
const LONG_POLL_TIMEOUT_MS = 3000;

interface Named {
  readonly name: string;
  readonly suite?: Named | undefined;
}

/** The suite's group a test belongs to: the suite's `describe` right under `ours`. */
function groupOf(task: Named, ours: string): string {
  let node: Named = task;
  while (node.suite !== undefined && node.suite.name !== ours) node = node.suite;
  return node.name;
}

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

/** Each group's tests under the suite named `ours` in the file's tree, by outcome. */
function tallyOf(file: RunnerTestSuite, ours: string): Map<string, Tally> {
  const tallies = new Map<string, Tally>();
  const count = (group: string, tasks: RunnerTestSuite['tasks']) => {
    for (const task of tasks) {
      if (task.type === 'suite') {
        count(group, task.tasks);
        continue;
      }
      const tally = tallies.get(group) ?? { passed: 0, failed: 0, skipped: 0 };
      const state = task.result?.state;
      if (state === 'pass') tally.passed++;
      else if (state === 'fail') tally.failed++;
      else tally.skipped++;
      tallies.set(group, tally);
    }
  };
  const find = (tasks: RunnerTestSuite['tasks']): void => {
    for (const task of tasks) {
      if (task.type !== 'suite') continue;
      if (task.name === ours) {
        for (const group of task.tasks) count(group.name, group.type === 'suite' ? group.tasks : [group]);
        return;
      }
      find(task.tasks);
    }
  };
  find(file.tasks);
  return tallies;
}

/** A store to run the suite on, and what to do once it has run. */
interface SuiteStore {
  readonly store: EventStore;
  readonly prefix?: string;
  cleanUp?(): Promise<void>;
}

function conformanceOn(storeName: string, makeStore: () => SuiteStore): void {
  const ours = `Durable Streams conformance (${storeName} store)`;
  describe(ours, () => {
    const config = { baseUrl: 'http://127.0.0.1:0', longPollTimeoutMs: LONG_POLL_TIMEOUT_MS };
    let rail: ReplayRail;
    let suiteStore: SuiteStore;
    let routes: DurableStreamsRoutes;
    let server: ReturnType<typeof serve>;
    // The file's task tree, taken from the first test: counted once every test has run.
    let file: RunnerTestSuite | undefined;

    beforeAll(async () => {
      suiteStore = makeStore();
      rail = new ReplayRail({
        store: suiteStore.store,
        ...(suiteStore.prefix !== undefined && { config: { streamPrefix: suiteStore.prefix } }),
      });
      routes = durableStreams(rail, { longPollTimeoutMs: LONG_POLL_TIMEOUT_MS });
      const app = new Hono();
      app.route('/', routes.app);
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      config.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await routes.close();
      await new Promise((resolve) => {
        server.close(resolve);
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await rail.close();
      await suiteStore.cleanUp?.();
      if (file === undefined) return;
      const tallies = tallyOf(file, ours);
      // Not "N passed, N failed" lines: a CI log reader could take one for the run's own.
      const lines = [...tallies].map(
        ([group, t]) => `  ${group.padEnd(44)} pass ${t.passed} / fail ${t.failed} / skip ${t.skipped}`,
      );
      const total = [...tallies.values()].reduce(
        (sum, t) => ({
          passed: sum.passed + t.passed,
          failed: sum.failed + t.failed,
          skipped: sum.skipped + t.skipped,
        }),
        { passed: 0, failed: 0, skipped: 0 },
      );
      const reasons = NOT_IMPLEMENTED.map(({ prefix, reason }) => `  skipped "${prefix}…": ${reason}`);
      console.log(
        [
          `Durable Streams conformance on the ${storeName} store, by group:`,
          ...lines,
          `  ${'in all'.padEnd(44)} pass ${total.passed} / fail ${total.failed} / skip ${total.skipped}`,
          ...reasons,
          `  skipped "${SUBSCRIPTIONS}": by the suite itself unless run with subscriptions: true (section 6, not implemented here)`,
        ].join('\n'),
      );
    });

    // Groups not implemented yet are skipped before they run (vitest's -t is not for CI).
    beforeEach((context) => {
      file ??= context.task.file;
      const group = groupOf(context.task, ours);
      const missing = NOT_IMPLEMENTED.find(({ prefix }) => group.startsWith(prefix));
      if (missing !== undefined) context.skip(missing.reason);
    });

    runConformanceTests(config);
  });
}

conformanceOn('memory', () => ({ store: new MemoryEventStore() }));

describeWithRedis('on Redis', (url) => {
  conformanceOn('Redis', () => {
    const prefix = uniquePrefix('rrds');
    const client = new Redis(url);
    return {
      store: new RedisStreamStore({ client, closeClient: true }),
      prefix,
      async cleanUp() {
        const admin = new Redis(url);
        await deleteKeysUnder(admin, prefix);
        admin.disconnect();
      },
    };
  });
});
