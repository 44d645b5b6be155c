import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';

// Debian's chromium, driven by playwright-core (its own browser downloads fail here).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * `describe` for a suite that needs a browser: skipped, with the reason in its name,
 * when there is no chromium; a failure instead under REPLAYRAIL_REQUIRE_BROWSER=1
 * (set by .ci/run, which installs it).
 */
export function describeWithChromium(name: string, body: () => void): void {
  const available = existsSync(CHROMIUM);
  if (!available && process.env.REPLAYRAIL_REQUIRE_BROWSER === '1') {
    throw new Error(`${name}: REPLAYRAIL_REQUIRE_BROWSER=1 but there is no chromium at ${CHROMIUM}`);
  }
  describe.skipIf(!available)(available ? name : `${name} (skipped: no chromium at ${CHROMIUM})`, body);
}

/** A headless chromium with the flags this machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
