import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bin, ensureBuilt, packageDir } from './test-support/built-binary.js';

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
    rail = new ReplayRail({
      store: new RedisStreamStore({ client: redis }),
      config: { streamPrefix: prefix, lineage: { index: true } },
    });
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

  it('tail --follow names an entry it cannot decode on stderr and goes on', async () => {
    const good = await rail.publish({ channel: 'mixed', type: 't', payload: { n: 1 } });
    // The Python library writes float('nan') as a bare NaN, which no JSON reader takes.
    const bad = await redis.xadd(
      `${prefix}:mixed`,
      '*',
      ...['event_id', 'py-nan', 'channel', 'mixed', 'type', 't'],
      ...['payload', '{"value":NaN}', 'actor', 'null', 'metadata', '{}', 'created_at', '2026-06-29T12:00:00Z'],
    );
    const after = await rail.publish({ channel: 'mixed', type: 't', payload: { n: 2 } });
    // (--follow stops at --until once it sees an event past it.)
    await rail.publish({ channel: 'mixed', type: 't', payload: { n: 3 } });
    const result = await run(['tail', 'mixed', '--from', 'earliest', '--until', after.id, '--follow']);
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((line) => line.split(' ')[0])).toEqual([good.id, after.id]);
    expect(result.stderr).toContain(`replayrail: skipped ${bad}`);
  }, 30_000);

  it('tail --json | head -1: one line, exit 0 and nothing on stderr when its reader goes away', async () => {
    // Enough events that the CLI is still writing when head has had its line and left.
    const many = Array.from({ length: 3_000 }, (_, n) => `{"n":${n}}`).join('\n');
    expect((await run(['publish', 'pipe', 'line.added', '-'], many)).code).toBe(0);
    const script = `set -o pipefail; "${process.execPath}" "${bin}" tail pipe --json --prefix ${prefix} | head -1`;
    const child = spawn('bash', ['-c', script], { env: { ...process.env, REDIS_URL: url } });
    const result = await finished(child);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(lines(result.stdout)).toHaveLength(1);
    expect(JSON.parse(lines(result.stdout)[0] as string)).toMatchObject({ channel: 'pipe', payload: { n: 0 } });
  }, 60_000);

  it('says what is there when a channel, a prefix or a group is not', async () => {
    await rail.publish({ channel: 'restaurant:1:orders', type: 't', payload: {} });
    // A typo: nothing printed, exit 0, and stderr names the close channel.
    const typo = await run(['tail', 'restaurant:1:order']);
    expect(typo).toMatchObject({ code: 0, stdout: '' });
    expect(typo.stderr).toMatch(
      /no channel restaurant:1:order under --prefix .*channels with a close name: restaurant:1:orders/,
    );
    // A wrong prefix: the channel exists under another one.
    const elsewhere = spawn(process.execPath, [bin, 'tail', 'restaurant:1:orders', '--prefix', `${prefix}-wrong`], {
      env: { ...process.env, REDIS_URL: url },
    });
    const wrong = await finished(elsewhere);
    expect(wrong).toMatchObject({ code: 0, stdout: '' });
    expect(wrong.stderr).toContain(`it exists under --prefix ${prefix}`);
    // An empty stream (every entry deleted) says so too.
    const gone = await rail.publish({ channel: 'emptied', type: 't', payload: {} });
    await redis.xdel(`${prefix}:emptied`, gone.id);
    const empty = await run(['tail', 'emptied']);
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    expect(empty.stderr).toContain('emptied (key');
    expect(empty.stderr).toContain('is empty: no event is retained');
    // info says it too; a missing group names the groups that exist.
    expect((await run(['info', 'restaurant:1:order'])).stderr).toMatch(
      /channels with a close name: restaurant:1:orders/,
    );
    await rail.group('restaurant:1:orders', 'ticket-printer').info(); // no group yet
    const none = await run(['dead-letters', 'restaurant:1:orders', '--group', 'kitchen-printer']);
    expect(none).toMatchObject({ code: 4, stdout: '' });
    expect(none.stderr).toContain(
      'no consumer group kitchen-printer on restaurant:1:orders; it has no consumer groups',
    );
    const consumer = rail.consume({ channel: 'restaurant:1:orders', group: 'ticket-printer', handler: () => {} });
    await consumer.start();
    await consumer.stop();
    const named = await run(['dead-letters', 'restaurant:1:orders', '--group', 'kitchen-printer']);
    expect(named.stderr).toContain('its groups: ticket-printer');
  }, 30_000);

  it('publish prints the envelope in wire order, on a first publish and a repeat alike, and checks a catalog', async () => {
    const first = await run(['publish', 'wire', 'order.created', '{"order_id":"o1"}', '--event-id', 'e-1']);
    const repeat = await run(['publish', 'wire', 'order.created', '{"order_id":"o1"}', '--event-id', 'e-1']);
    expect(first.code).toBe(0);
    expect(repeat).toEqual(first);
    expect(Object.keys(JSON.parse(first.stdout))).toEqual([
      'id',
      'event_id',
      'channel',
      'type',
      'payload',
      'actor',
      'metadata',
      'created_at',
    ]);
    // The app's own catalog: a payload it refuses is a usage error naming the field, and nothing is stored.
    const catalog = join(packageDir, 'src', 'test-support', 'catalog.mjs');
    const refused = await run(['publish', 'wire', 'order.created', '{"table":1}', '--catalog', catalog]);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toMatch(/payload\.order_id/);
    const unknown = await run(['publish', 'wire', 'order.lost', '{}', '--catalog', catalog]);
    expect(unknown.stderr).toMatch(/"order.lost" is not in the event catalog/);
    const checked = await run(['publish', 'wire', 'order.created', '{"order_id":"o2"}', '--catalog', catalog]);
    expect(checked.code).toBe(0);
    // Stored as the schema outputs it: its default applied.
    expect(JSON.parse(checked.stdout).payload).toEqual({ order_id: 'o2', items: [] });
    expect((await rail.replay('wire', { after: '0-0' })).events).toHaveLength(2);
    const broken = await run(['publish', 'wire', 't', '{}', '--catalog', join(packageDir, 'package.json')]);
    expect(broken.code).toBe(2);
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
    expect(human.stdout).toMatch(/^group +printer\n {2}lag +0\n {2}pending +0\n {2}dead letters +0 \(redriving 0\)$/m);
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

  it('state: publish with the policy keeps the state; state prints it, --key one key; not there exits 4', async () => {
    const policy = ['--key-field', 'order_id', '--tombstone', 'order.deleted'];
    for (const [type, payload] of [
      ['order.created', '{"order_id":"ord_2","table":4}'],
      ['order.created', '{"order_id":"ord_1","table":7}'],
      ['order.paid', '{"order_id":"ord_2","table":4}'],
      ['order.created', '{"order_id":"ord_3","table":1}'],
      ['order.deleted', '{"order_id":"ord_3"}'],
    ] as const) {
      expect((await run(['publish', 'restaurant:7:orders', type, payload, ...policy])).code).toBe(0);
    }
    const stored = (await rail.replay('restaurant:7:orders', { after: '0-0' })).events;
    const shown = await run(['state', 'restaurant:7:orders', ...policy]);
    expect(shown.code).toBe(0);
    expect(lines(shown.stdout)).toEqual([
      `ord_1 ${stored[1]?.id} ${stored[1]?.created_at} order.created {"order_id":"ord_1","table":7}`,
      `ord_2 ${stored[2]?.id} ${stored[2]?.created_at} order.paid {"order_id":"ord_2","table":4}`,
    ]);
    expect(shown.stderr).toBe(
      `replayrail: 2 keys in the state of restaurant:7:orders, exact at ${stored[4]?.id} (what came after: replayrail tail restaurant:7:orders --from ${stored[4]?.id})\n`,
    );
    // Reading needs only the key field; --json gives the key and the envelope as tail --json prints it.
    const one = await run(['state', 'restaurant:7:orders', '--key', 'ord_2', '--json', '--key-field', 'order_id']);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(one.stdout)).toEqual({ key: 'ord_2', event: stored[2] });
    // Not there: a deleted key, a channel no policy keeps a state of.
    const deleted = await run(['state', 'restaurant:7:orders', '--key', 'ord_3', ...policy]);
    expect(deleted).toMatchObject({ code: 4, stdout: '' });
    expect(deleted.stderr).toBe(
      'replayrail: no key ord_3 in the state of restaurant:7:orders; it holds 2 other keys\n',
    );
    const config = join(packageDir, 'src', 'test-support', 'channels.mjs');
    const unkeyed = await run(['state', 'restaurant:7:tables', '--config', config]);
    expect(unkeyed).toMatchObject({ code: 4, stdout: '' });
    expect(unkeyed.stderr).toContain(
      `restaurant:7:tables keeps no state under --config ${config}: no policy with a state matches it (those with a state: restaurant:*:orders)`,
    );
    // The state's Redis keys, as store-redis's README gives them.
    const { values, keys } = new RedisStreamStore({ client: redis }).stateKeys({
      prefix,
      channel: 'restaurant:7:orders',
    });
    expect(await redis.hkeys(values)).toEqual(expect.arrayContaining(['ord_1', 'ord_2']));
    expect(await redis.zrange(keys, '0', '-1')).toEqual(['ord_1', 'ord_2']);
  }, 60_000);

  it("tail --from snapshot: each key's latest event, then (with --follow) what came after, the boundary on stderr", async () => {
    const policy = ['--key-field', 'order_id', '--tombstone', 'order.deleted'];
    for (const [type, payload] of [
      ['order.created', '{"order_id":"ord_2"}'],
      ['order.created', '{"order_id":"ord_1"}'],
      ['order.paid', '{"order_id":"ord_2"}'],
      ['order.created', '{"order_id":"ord_3"}'],
      ['order.deleted', '{"order_id":"ord_3"}'],
    ] as const) {
      expect((await run(['publish', 'restaurant:12:orders', type, payload, ...policy])).code).toBe(0);
    }
    const stored = (await rail.replay('restaurant:12:orders', { after: '0-0' })).events;
    const snapshot = await run([
      'tail',
      'restaurant:12:orders',
      '--from',
      'snapshot',
      '--json',
      '--key-field',
      'order_id',
    ]);
    expect(snapshot.code).toBe(0);
    // Key order, each marked as the snapshot's; nothing came after it.
    expect(lines(snapshot.stdout).map((line) => JSON.parse(line))).toEqual([
      { ...stored[1], snapshot: true },
      { ...stored[2], snapshot: true },
    ]);
    expect(snapshot.stderr).toBe('replayrail: 2 keys from the snapshot above; what follows came after it\n');

    // --follow: the snapshot, then an event published after it started, after the boundary line.
    const child = start(['tail', 'restaurant:12:orders', '--from', 'snapshot', '--follow', ...policy]);
    const done = finished(child);
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    await expect.poll(() => lines(seen).length, { timeout: 10_000 }).toBe(2);
    const after = await rail.publish({
      channel: 'restaurant:12:orders',
      type: 'order.paid',
      payload: { order_id: 'ord_1' },
    });
    await expect.poll(() => seen, { timeout: 10_000 }).toContain(after.id);
    child.kill('SIGINT');
    const followed = await done;
    expect(followed.code).toBe(0);
    expect(lines(followed.stdout).map((line) => line.split(' ')[0])).toEqual([stored[1]?.id, stored[2]?.id, after.id]);
    expect(followed.stderr).toBe('replayrail: 2 keys from the snapshot above; what follows came after it\n');

    // Without a policy, or bounded by --until: a usage error, nothing read.
    const bare = await run(['tail', 'restaurant:12:orders', '--from', 'snapshot']);
    expect(bare).toMatchObject({ code: 2, stdout: '' });
    expect(bare.stderr).toContain(
      "tail --from snapshot needs the channel's state policy: --config <module> (your rail config's channels) or --key-field <payload field>",
    );
    const bounded = await run(['tail', 'restaurant:12:orders', '--from', 'snapshot', '--until', after.id, ...policy]);
    expect(bounded).toMatchObject({ code: 2, stdout: '' });
    expect(bounded.stderr).toContain('--until does not bound a snapshot');
    // A channel the policy gives no state: the rail's own words, exit 2.
    const unkeyed = await run([
      'tail',
      'restaurant:12:tables',
      '--from',
      'snapshot',
      '--config',
      join(packageDir, 'src', 'test-support', 'channels.mjs'),
    ]);
    expect(unkeyed).toMatchObject({ code: 2, stdout: '' });
    expect(unkeyed.stderr).toContain('keeps no state');
  }, 60_000);

  it("state rebuild: what was written without the policy joins the state; --config is the application's own", async () => {
    // A writer that bypasses the append step (as the Python library does): events, no state.
    await rail.publish({ channel: 'restaurant:8:orders', type: 'order.created', payload: { order_id: 'o1' } });
    const paid = await rail.publish({
      channel: 'restaurant:8:orders',
      type: 'order.paid',
      payload: { order_id: 'o1' },
    });
    await rail.publish({ channel: 'restaurant:8:orders', type: 'order.created', payload: { order_id: 'o2' } });
    await rail.publish({ channel: 'restaurant:8:orders', type: 'order.deleted', payload: { order_id: 'o2' } });
    const config = join(packageDir, 'src', 'test-support', 'channels.mjs');
    const before = await run(['state', 'restaurant:8:orders', '--config', config]);
    expect(before).toMatchObject({ code: 0, stdout: '' });
    expect(before.stderr).toContain(
      `the state of restaurant:8:orders holds no keys; its stream retains events: \`replayrail state rebuild restaurant:8:orders --config ${config}\``,
    );
    const rebuilt = await run(['state', 'rebuild', 'restaurant:8:orders', '--config', config]);
    expect(rebuilt).toEqual({
      code: 0,
      stdout: 'rebuilt the state of restaurant:8:orders: 4 retained events read, 1 key changed, 1 key in the state\n',
      stderr: '',
    });
    const after = await run(['state', 'restaurant:8:orders', '--config', config, '--json']);
    expect(lines(after.stdout).map((line) => JSON.parse(line))).toEqual([{ key: 'o1', event: paid }]);
    // Again: nothing left to change.
    const again = await run(['state', 'rebuild', 'restaurant:8:orders', '--json', '--config', config]);
    expect(JSON.parse(again.stdout)).toEqual({ channel: 'restaurant:8:orders', events: 4, changed: 0, keys: 1 });
    // The config's retention (maxStreamLength: 1) is not the CLI's to apply: a publish with it trims nothing.
    const published = await run([
      'publish',
      'restaurant:8:orders',
      'order.created',
      '{"order_id":"o3"}',
      '--config',
      config,
    ]);
    expect(published.code).toBe(0);
    expect(await redis.xlen(`${prefix}:restaurant:8:orders`)).toBe(5);
    expect((await run(['state', 'restaurant:8:orders', '--key', 'o3', '--config', config])).code).toBe(0);
  }, 60_000);

  it('state: what cannot be right is refused with exit 2, before Redis is asked', async () => {
    const nowhere = ['--redis', 'redis://127.0.0.1:1'];
    const refused: [string[], RegExp][] = [
      [['state', 'restaurant:9:orders'], /state needs the channel's state policy: --config <module> .* or --key-field/],
      [['state', 'rebuild', 'restaurant:9:orders', '--key-field', 'order_id'], /--no-tombstones/],
      [['publish', 'restaurant:9:orders', 'order.created', '{}', '--key-field', 'order_id'], /--no-tombstones/],
      [
        ['state', 'shop:1:orders', '--config', join(packageDir, 'src', 'test-support', 'channel-list.mjs')],
        /--config .*channel-list\.mjs: .*channels\[1\]\.state\.key/,
      ],
    ];
    for (const [args, message] of refused) {
      const result = await run([...args, ...nowhere]);
      expect(result, args.join(' ')).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect(await redis.exists(`${prefix}:restaurant:9:orders`)).toBe(0);
  }, 30_000);

  it('lineage prints a workflow as lines, as Mermaid and as JSON; an unknown correlation exits 4', async () => {
    const created = await rail.publish({
      channel: 'flow:orders',
      type: 'order.created',
      payload: {},
      metadata: { correlation_id: 'cli-flow' },
    });
    const ticket = await rail.publish({
      channel: 'flow:kitchen',
      type: 'ticket.printed',
      payload: {},
      causedBy: created,
    });
    const plain = await run(['lineage', 'cli-flow']);
    expect(plain.code).toBe(0);
    expect(lines(plain.stdout)).toEqual([
      `${created.created_at}  flow:orders  order.created  ${created.event_id}`,
      `${ticket.created_at}  flow:kitchen  ticket.printed  ${ticket.event_id}  <- ${created.event_id}`,
    ]);
    const mermaid = await run(['lineage', 'cli-flow', '--mermaid']);
    expect(mermaid.code).toBe(0);
    expect(lines(mermaid.stdout)).toEqual([
      'flowchart TD',
      `  n0["order.created<br/>flow:orders<br/>${created.created_at.slice(11, 23)}"]`,
      `  n1["ticket.printed<br/>flow:kitchen<br/>${ticket.created_at.slice(11, 23)}"]`,
      '  n0 --> n1',
    ]);
    const json = await run(['lineage', 'cli-flow', '--json']);
    expect(JSON.parse(json.stdout)).toEqual(await rail.lineage('cli-flow'));
    const limited = await run(['lineage', 'cli-flow', '--limit', '1']);
    expect(lines(limited.stdout)).toHaveLength(1);
    expect(limited.stderr).toContain('the first 1 events shown');
    const unknown = await run(['lineage', 'no-such-flow']);
    expect(unknown).toMatchObject({ code: 4, stdout: '' });
    expect(unknown.stderr).toContain('no events indexed under correlation no-such-flow');
    expect((await run(['lineage', 'cli-flow', '--limit', 'ten'])).code).toBe(2);
    expect((await run(['lineage', 'cli-flow', '--json', '--mermaid'])).code).toBe(2);
  }, 30_000);

  it('lineage rebuild indexes what the Python library wrote, once; then lineage shows it', async () => {
    const root = await rail.publish({
      channel: 'py:orders',
      type: 'order.created',
      payload: {},
      metadata: { correlation_id: 'py-flow' },
    });
    // Python's layout, its causation in the metadata: no append indexed it.
    const xadd = (channel: string, eventId: string, metadata: object) =>
      redis.xadd(
        `${prefix}:${channel}`,
        '*',
        ...['event_id', eventId, 'channel', channel, 'type', 'ticket.printed', 'payload', '{}', 'actor', 'null'],
        ...['metadata', JSON.stringify(metadata), 'created_at', '2026-06-29T12:00:00.000000Z'],
      );
    await xadd('py:kitchen', 'py-ticket', { correlation_id: 'py-flow', causation_id: root.event_id });
    await xadd('py:kitchen', 'py-other', {});
    expect(lines((await run(['lineage', 'py-flow'])).stdout)).toHaveLength(1);

    const rebuilt = await run(['lineage', 'rebuild', 'py:kitchen']);
    expect(rebuilt).toMatchObject({ code: 0, stderr: '' });
    expect(rebuilt.stdout).toBe(
      'indexed the lineage of py:kitchen: 2 retained events read, 1 event added to the index, 1 correlation named\n',
    );
    const shown = await run(['lineage', 'py-flow']);
    expect(lines(shown.stdout)).toEqual([
      `${root.created_at}  py:orders  order.created  ${root.event_id}`,
      // (the envelope writes a time with no fraction as Python does: none)
      `2026-06-29T12:00:00Z  py:kitchen  ticket.printed  py-ticket  <- ${root.event_id}`,
    ]);
    // Again: nothing to add. A channel with no stream: said on stderr.
    const again = await run(['lineage', 'rebuild', 'py:kitchen', '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ channel: 'py:kitchen', events: 2, indexed: 0, correlations: 1 });
    const none = await run(['lineage', 'rebuild', 'py:nothing']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('replayrail: nothing to index: no channel py:nothing');
    expect((await run(['lineage', 'rebuild', 'py:kitchen', '--page-size', '0'])).code).toBe(2);
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
