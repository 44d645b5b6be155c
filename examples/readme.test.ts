import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';

const root = join(import.meta.dirname, '..');

function captureLogs(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(format(...args));
  });
  return lines;
}

// Every README's example must run as shown: the root one is examples/quickstart.mjs
// verbatim, and each package's "## Example" block is run as it stands.
describe('README examples', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the root README shows examples/quickstart.mjs verbatim', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const shown = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    const example = readFileSync(join(root, 'examples', 'quickstart.mjs'), 'utf8').replace(/^(\/\/.*\n)+/, '');
    expect(shown).toBe(example);
  });

  it('the quickstart replays what a reconnecting client missed', async () => {
    const lines = captureLogs();
    await import(join(import.meta.dirname, 'quickstart.mjs'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^missed since \d+-\d+: \[ '\d+-\d+ order\.ready' \]$/);
    expect(lines[1]).toMatch(/^resume from: \d+-\d+$/);
  });

  it("core's README shows examples/consumer.mjs verbatim, and it runs: handled in order, the poison one dead", async () => {
    const readme = readFileSync(join(root, 'packages', 'core', 'README.md'), 'utf8');
    const shown = /## Durable consumers[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    const example = readFileSync(join(root, 'examples', 'consumer.mjs'), 'utf8').replace(/^(\/\/.*\n)+/, '');
    expect(shown).toBe(example);
    const lines = captureLogs();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await import(join(import.meta.dirname, 'consumer.mjs'));
    expect(lines).toEqual([
      'order.confirmed ord_1, order.ready ord_1',
      'dead: ord_bad after 3 attempts (printer jammed (attempt 3))',
    ]);
  });

  it("core's README shows examples/telemetry.mjs verbatim, and it runs: a producer span whose context the event carries", async () => {
    const readme = readFileSync(join(root, 'packages', 'core', 'README.md'), 'utf8');
    const shown = /## Telemetry[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    const example = readFileSync(join(root, 'examples', 'telemetry.mjs'), 'utf8').replace(/^(\/\/.*\n)+/, '');
    expect(shown).toBe(example);
    const lines = captureLogs();
    await import(join(import.meta.dirname, 'telemetry.mjs'));
    expect(lines).toEqual(['send restaurant:{id}:orders (producer)', 'true', '1 restaurant:{id}:orders']);
  });

  // Published packages only: private ones (the testkit) have no README example.
  const packages = readdirSync(join(root, 'packages')).filter(
    (name) => !JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')).private,
  );
  it.each(packages)('the example in packages/%s/README.md runs', async (name) => {
    const readme = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8');
    const code = /## Example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, `packages/${name}/README.md has an "## Example" ts block`).toBeTruthy();
    // Written beside this test so its imports resolve through examples/node_modules.
    const file = join(import.meta.dirname, `.readme-${name}.mts`);
    writeFileSync(file, code as string);
    const lines = captureLogs();
    try {
      await import(file);
    } finally {
      rmSync(file, { force: true });
    }
    const expected = [...(code as string).matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((match) => match[1]);
    for (const [index, comment] of expected.entries()) expect(lines[index]).toBe(comment);
  });
});
