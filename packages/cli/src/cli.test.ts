import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';

const packageDir = join(import.meta.dirname, '..');
const bin = join(packageDir, 'dist', 'bin.js');

// The newest modification time under `dir` (sources of the CLI and what it runs on).
function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
      .map((file) => statSync(join(dir, file)).mtimeMs),
  );
}

// These tests run the built binary, as a user does: build it when it is missing or older than its sources.
function ensureBuilt(): void {
  const sources = ['cli', 'core', 'store-redis'].map((name) => join(packageDir, '..', name, 'src'));
  if (existsSync(bin) && statSync(bin).mtimeMs >= Math.max(...sources.map(newest))) return;
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@replayrail/cli...'], {
    cwd: join(packageDir, '..', '..'),
    stdio: 'ignore',
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describeWithRedis('the replayrail binary on a real Redis', (url) => {
  const prefix = uniquePrefix('cli');
  let redis: Redis;
  let rail: ReplayRail;
  const running = new Set<ChildProcess>();

  // Runs `replayrail <args>` to its end, with `input` on stdin.
  const run = (args: string[], input = ''): Promise<Run> => {
    const child = start(args);
    child.stdin?.end(input);
    return finished(child);
  };
  const start = (args: string[]): ChildProcess => {
    const child = spawn(process.execPath, [bin, ...args, '--prefix', prefix], {
      env: { ...process.env, REDIS_URL: url },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(child);
    return child;
  };
  const finished = (child: ChildProcess): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise((resolve) =>
      child.on('close', (code) => {
        running.delete(child);
        resolve({ code, stdout, stderr });
      }),
    );
  };
  const lines = (text: string) => text.split('\n').filter((line) => line !== '');

  beforeAll(() => {
    ensureBuilt();
    redis = new Redis(url);
    rail = new ReplayRail({ store: new RedisStreamStore({ client: redis }), config: { streamPrefix: prefix } });
  }, 180_000);

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL');
    await rail.close();
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it('tail --from earliest --json prints exactly the stored envelopes, in order', async () => {
    for (let n = 0; n < 5; n++) {
      await rail.publish({ channel: 'orders', type: 'order.created', payload: { n }, actor: { id: 'u1' } });
    }
    const stored = (await rail.replay('orders', { after: '0-0' })).events;
    const result = await run(['tail', 'orders', '--from', 'earliest', '--json']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((line) => JSON.parse(line) as StoredEvent)).toEqual(stored);
    // The plain form: one line each, cursor first.
    const plain = await run(['tail', 'orders', '--from', stored[2]?.id as string]);
    expect(lines(plain.stdout).map((line) => line.split(' ')[0])).toEqual(stored.slice(3).map((event) => event.id));
    // --until ends the output at that cursor, with --follow too (then it exits by itself).
    const third = stored[2]?.id as string;
    for (const follow of [[], ['--follow']]) {
      const bounded = await run(['tail', 'orders', '--until', third, ...follow]);
      expect(bounded.code, follow.join(' ')).toBe(0);
      expect(lines(bounded.stdout).map((line) => line.split(' ')[0])).toEqual(stored.slice(0, 3).map((e) => e.id));
    }
  }, 30_000);

  it('tail --follow prints an event published after it started, and ends cleanly on SIGINT', async () => {
    await rail.publish({ channel: 'live', type: 'before', payload: {} });
    const child = start(['tail', 'live', '--from', 'latest', '--follow', '--json']);
    const done = finished(child);
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    // Publish until the follower shows it (it may still be connecting for the first ones).
    const deadline = Date.now() + 10_000;
    while (!seen.includes('"type":"after"') && Date.now() < deadline) {
      await rail.publish({ channel: 'live', type: 'after', payload: {} });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    const types = lines(result.stdout).map((line) => (JSON.parse(line) as StoredEvent).type);
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['after'])); // not the one before it started
  }, 30_000);

  it('exits 3 with the expiry on stderr for a cursor whose history was trimmed', async () => {
    const trimming = new ReplayRail({
      store: new RedisStreamStore({ client: redis }),
      config: { streamPrefix: prefix, maxStreamLength: 3, approximateTrimming: false },
    });
    const first = await trimming.publish({ channel: 'trimmed', type: 't', payload: { n: 0 } });
    for (let n = 1; n < 10; n++) await trimming.publish({ channel: 'trimmed', type: 't', payload: { n } });
    const result = await run(['tail', 'trimmed', '--from', first.id]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^replayrail: history lost \(replay_window_expired\): /);
    // And with --follow.
    const following = await run(['tail', 'trimmed', '--from', first.id, '--follow']);
    expect(following.code).toBe(3);
    expect(following.stderr).toMatch(/replay_window_expired/);
  }, 30_000);

  it('publish - stores one event per line of stdin and prints each envelope', async () => {
    const result = await run(
      ['publish', 'batch', 'line.added', '-', '--actor', '{"id":"cli"}', '--metadata', '{"source":"test"}'],
      '{"n":1}\n\n{"n":2}\n{"n":3}\n',
    );
    expect(result.code).toBe(0);
    const printed = lines(result.stdout).map((line) => JSON.parse(line) as StoredEvent);
    const stored = (await rail.replay('batch', { after: '0-0' })).events;
    expect(stored.map((event) => event.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(printed.map((event) => event.id)).toEqual(stored.map((event) => event.id));
    expect(stored.every((event) => event.actor?.id === 'cli' && event.metadata.source === 'test')).toBe(true);
    // A bad line stops there with exit 2; the lines before it stay stored.
    const bad = await run(['publish', 'batch2', 't', '-'], '{"n":1}\nnot json\n{"n":3}\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 2 of stdin is not valid JSON/);
    expect((await rail.replay('batch2', { after: '0-0' })).events.map((event) => event.payload)).toEqual([{ n: 1 }]);
  }, 30_000);

  it('info --json gives the figures XINFO gives, and each group', async () => {
    await rail.publish({ channel: 'figures', type: 't', payload: {} });
    await rail.publish({ channel: 'figures', type: 't', payload: {} });
    const consumer = rail.consume({ channel: 'figures', group: 'printer', from: 'earliest', handler: () => {} });
    await consumer.start();
    await expect
      .poll(
        async () =>
          (await rail.group('figures', 'printer').info())?.pending === 0 &&
          (await rail.group('figures', 'printer').info())?.lag === 0,
      )
      .toBe(true);
    await consumer.stop();
    const result = await run(['info', 'figures', '--json']);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout);
    const raw = (await redis.call('XINFO', 'STREAM', `${prefix}:figures`)) as unknown[];
    const xinfo: Record<string, unknown> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) xinfo[String(raw[i])] = raw[i + 1];
    expect(info).toMatchObject({
      channel: 'figures',
      exists: true,
      length: xinfo.length,
      firstId: (xinfo['first-entry'] as string[])[0],
      lastId: (xinfo['last-entry'] as string[])[0],
      lastGeneratedId: xinfo['last-generated-id'],
      entriesAdded: xinfo['entries-added'],
      maxDeletedEntryId: xinfo['max-deleted-entry-id'],
      recordedFirstEntryId: xinfo['recorded-first-entry-id'],
    });
    expect(info.groups).toEqual([expect.objectContaining({ name: 'printer', pending: 0, lag: 0, deadLetters: 0 })]);
    const human = await run(['info', 'figures']);
    expect(human.stdout).toMatch(/^group printer: lag 0, pending 0, dead letters 0/m);
  }, 30_000);

  it('dead-letters lists, redrives (the consumer handles the entry) and discards', async () => {
    let failing = true;
    const handled: number[] = [];
    const options = {
      channel: 'jobs',
      group: 'worker',
      from: 'earliest' as const,
      maxDeliveries: 1,
      blockMs: 50,
      onError: () => {},
      handler: (event: StoredEvent) => {
        if (failing) throw new Error(`cannot do ${event.payload.n}`);
        handled.push(event.payload.n as number);
      },
    };
    await rail.publish({ channel: 'jobs', type: 'job', payload: { n: 1 } });
    await rail.publish({ channel: 'jobs', type: 'job', payload: { n: 2 } });
    const first = rail.consume(options);
    await first.start();
    await expect
      .poll(async () => (await rail.group('jobs', 'worker').info())?.deadLetters, { timeout: 10_000 })
      .toBe(2);
    await first.stop();

    const listed = await run(['dead-letters', 'jobs', '--group', 'worker', '--json']);
    expect(listed.code).toBe(0);
    const letters = lines(listed.stdout).map((line) => JSON.parse(line));
    expect(letters.map((letter) => [letter.event.payload.n, letter.attempts, letter.errorMessage])).toEqual([
      [1, 1, 'cannot do 1'],
      [2, 1, 'cannot do 2'],
    ]);
    const plain = await run(['dead-letters', 'jobs', '--group', 'worker', 'list']);
    expect(lines(plain.stdout)[0]).toMatch(/attempts=1 .* error=Error: cannot do 1 \| job \{"n":1\}$/);

    // Redrive the first: a consumer that now succeeds handles it.
    const redriven = await run(['dead-letters', 'jobs', '--group', 'worker', 'redrive', '--id', letters[0].id]);
    expect(redriven).toMatchObject({ code: 0, stdout: 'redriven: 1\n' });
    failing = false;
    const second = rail.consume(options);
    await second.start();
    await expect.poll(() => handled, { timeout: 10_000 }).toEqual([1]);
    await second.stop();

    const discarded = await run(['dead-letters', 'jobs', '--group', 'worker', 'discard', '--all']);
    expect(discarded).toMatchObject({ code: 0, stdout: 'discarded: 1\n' });
    expect((await rail.group('jobs', 'worker').info())?.deadLetters).toBe(0);
    // IDs that are not dead letters: exit 4.
    const missing = await run(['dead-letters', 'jobs', '--group', 'worker', 'discard', '--id', '1-0']);
    expect(missing.code).toBe(4);
    expect((await run(['dead-letters', 'jobs', '--group', 'nobody'])).code).toBe(4);
  }, 30_000);

  it('says what is wrong: usage errors exit 2, an unreachable Redis 1, --help 0', async () => {
    const usage = [
      ['tail', 'orders', '--from', 'yesterday'],
      ['tail', 'orders', '--since', 'not a time'],
      ['tail', 'orders', '--from', '0-0', '--since', '2026-06-29T12:00:00Z'],
      ['tail', 'bad channel!'],
      ['publish', 'orders', 'order.created', '[1, 2]'],
      ['publish', 'orders', 'bad type!', '{}'],
      ['dead-letters', 'jobs', '--group', 'worker', 'explode'],
      ['dead-letters', 'jobs', '--group', 'worker', 'redrive'],
      ['frobnicate'],
    ];
    for (const args of usage) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/\S/);
      expect(result.stdout, args.join(' ')).toBe('');
    }
    // Epoch milliseconds were a --since of earlier versions: refused, naming the time they meant.
    const epoch = await run(['tail', 'orders', '--since', '1719367320123']);
    expect(epoch).toMatchObject({ code: 2, stdout: '' });
    expect(epoch.stderr).toContain('give 2024-06-26T02:02:00.123Z');
    const unreachable = await run(['info', 'orders', '--redis', 'redis://:hunter2@127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^replayrail: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(unreachable.stderr).not.toContain('hunter2');
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/tail.*\n.*publish/s);
  }, 30_000);
});
