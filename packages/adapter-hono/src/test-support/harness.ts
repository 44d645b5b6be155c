import { ReplayRail, type ReplayRailConfig } from '@replayrail/core';
import type { StoreFixture } from '@replayrail/testkit';
import { afterEach } from 'vitest';
import type { ReplayRailRoutesOptions } from '../options.js';
import { type RunningApp, startApp } from './node-app.js';

/**
 * A `start` for one suite's tests: a rail on a fresh store from `fixture`, served by
 * the routes on a real Node HTTP server, all closed after each test.
 */
export function appHarness(fixture: () => Promise<StoreFixture>) {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return async (
    config: ReplayRailConfig = {},
    options: Omit<ReplayRailRoutesOptions, 'rail'> = {},
  ): Promise<{ rail: ReplayRail; app: RunningApp; appendRaw: StoreFixture['appendRaw'] }> => {
    const { store, prefix, dispose, appendRaw } = await fixture();
    const rail = new ReplayRail({ store, config: { streamPrefix: prefix, ...config } });
    const app = await startApp(rail, options);
    cleanups.push(async () => {
      await app.close();
      await rail.close();
      await dispose();
    });
    return { rail, app, appendRaw };
  };
}
