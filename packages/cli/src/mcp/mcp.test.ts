import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { RedisStreamStore } from '@replayrail/store-redis';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { bin, ensureBuilt } from '../test-support/built-binary.js';

interface ToolAnswer {
  content?: unknown;
  isError?: unknown;
}

const textOf = (answer: ToolAnswer): string => (answer.content as { type: string; text: string }[])[0]?.text ?? '';
// A tool's JSON answer, after checking it is not an error.
const jsonOf = (answer: ToolAnswer) => {
  expect(answer.isError, textOf(answer)).toBeFalsy();
  return JSON.parse(textOf(answer));
};
// A tool's error text, after checking it is one.
const errorOf = (answer: ToolAnswer): string => {
  expect(answer.isError).toBe(true);
  return textOf(answer);
};

describeWithRedis('replayrail mcp, with the SDK client, on a real Redis', (url) => {
  const prefix = uniquePrefix('cli-mcp');
  const children = new Set<ChildProcess>();
  const clients: Client[] = [];
  let redis: Redis;
  let rail: ReplayRail;

  const ORDERS = 'restaurant:1:orders';
  const KITCHEN = 'restaurant:1:kitchen';
  const BIG = 'restaurant:1:big';
  const SECRET = 'billing:1';

  const client = async (transport: StdioClientTransport | StreamableHTTPClientTransport): Promise<Client> => {
    const made = new Client({ name: 'replayrail-test', version: '1.0.0' });
    await made.connect(transport);
    clients.push(made);
    return made;
  };
  const call = (on: Client, name: string, args: Record<string, unknown>) =>
    on.callTool({ name, arguments: args }) as Promise<ToolAnswer>;

  // A client of `replayrail mcp` on stdio, as an MCP client's configuration starts it.
  const overStdio = (args: string[]) =>
    client(
      new StdioClientTransport({
        command: process.execPath,
        args: [bin, 'mcp', '--prefix', prefix, '--redis', url, ...args],
        stderr: 'pipe',
      }),
    );

  // `replayrail mcp --http 0`: started, its URL read from stderr, and a client on it.
  const overHttp = async (args: string[]): Promise<{ client: Client; child: ChildProcess; url: URL }> => {
    const child = spawn(process.execPath, [bin, 'mcp', '--http', '0', '--prefix', prefix, '--redis', url, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const served = await new Promise<URL>((resolve, reject) => {
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const found = /MCP server on (http:\/\/\S+)/.exec(stderr);
        if (found?.[1]) resolve(new URL(found[1]));
      });
      child.once('exit', (code) => reject(new Error(`replayrail mcp exited with ${code}: ${stderr}`)));
    });
    return { client: await client(new StreamableHTTPClientTransport(served)), child, url: served };
  };

  const exited = (child: ChildProcess): Promise<number | null> =>
    child.exitCode !== null
      ? Promise.resolve(child.exitCode)
      : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  let root: StoredEvent;
  let ticket: StoredEvent;
  let ticketDone: StoredEvent;

  beforeAll(async () => {
    ensureBuilt();
    redis = new Redis(url);
    // The application's rail: restaurant orders are a keyed channel, by order_id; workflows are indexed.
    rail = new ReplayRail({
      store: new RedisStreamStore({ client: redis }),
      config: {
        streamPrefix: prefix,
        channels: [{ match: 'restaurant:*:orders', state: { key: 'order_id', tombstones: ['order.deleted'] } }],
        lineage: { index: true },
      },
    });
    // A workflow across channels, one of them (billing) outside the allow-list.
    root = await rail.publish({
      channel: ORDERS,
      type: 'order.created',
      payload: { order_id: 'o1', table: 4 },
      metadata: { correlation_id: 'req-1' },
    });
    ticket = await rail.publish({
      channel: KITCHEN,
      type: 'ticket.printed',
      payload: { order_id: 'o1' },
      causedBy: root,
    });
    const invoice = await rail.publish({ channel: SECRET, type: 'invoice.made', payload: {}, causedBy: root });
    ticketDone = await rail.publish({ channel: KITCHEN, type: 'ticket.done', payload: {}, causedBy: invoice });
    await rail.publish({ channel: ORDERS, type: 'order.created', payload: { order_id: 'o2', table: 7 } });
    await rail.publish({ channel: ORDERS, type: 'order.paid', payload: { order_id: 'o1', table: 4 } });
    // Events too large for one answer together (65536 bytes by default).
    for (let n = 0; n < 10; n++) {
      await rail.publish({ channel: BIG, type: 'blob.added', payload: { n, blob: 'x'.repeat(10_000) } });
    }
    // A consumer group whose handler fails: two dead letters.
    for (let n = 1; n <= 2; n++) await rail.publish({ channel: 'jobs', type: 'job', payload: { n } });
    const consumer = rail.consume({
      channel: 'jobs',
      group: 'worker',
      from: 'earliest',
      maxDeliveries: 1,
      blockMs: 50,
      onError: () => {},
      handler: (event) => {
        throw new Error(`cannot do ${event.payload.n}`);
      },
    });
    await consumer.start();
    await vi.waitFor(
      async () => {
        expect((await rail.group('jobs', 'worker').info())?.deadLetters).toBe(2);
      },
      { timeout: 10_000, interval: 50 },
    );
    await consumer.stop();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(clients.map((made) => made.close()));
    for (const child of children) child.kill('SIGKILL');
    await rail.close();
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it('stdio: lists its tools (read-only), resources and template, and every read tool answers', async () => {
    const mcp = await overStdio(['--channels', 'restaurant:*,jobs', '--key-field', 'order_id']);

    const { tools } = await mcp.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'group_info',
      'list_dead_letters',
      'read_lineage',
      'read_state',
      'replay_channel',
      'stream_info',
    ]);
    const replayTool = tools.find((tool) => tool.name === 'replay_channel');
    expect(replayTool?.inputSchema).toMatchObject({
      type: 'object',
      required: ['channel'],
      properties: {
        channel: { type: 'string', description: expect.stringContaining('restaurant:123:orders') },
        from: { enum: ['earliest', 'latest', 'snapshot'] },
        limit: { type: 'integer', default: 50, maximum: 1000 },
      },
    });
    expect(replayTool?.annotations).toMatchObject({ readOnlyHint: true });

    const { resourceTemplates } = await mcp.listResourceTemplates();
    expect(resourceTemplates).toEqual([
      expect.objectContaining({ name: 'channel', uriTemplate: 'replayrail://channels/{channel}' }),
    ]);
    // The channels under the prefix the allow-list serves: billing is not one. The list is a SCAN that
    // looks at 100,000 keys at most (store.channels): all of them only while Redis holds fewer keys than
    // that, which a concurrent suite (a lineage among 100,000 events) may not leave it.
    const crowdedBefore = (await redis.dbsize()) > 50_000;
    const { resources } = await mcp.listResources();
    const listed = resources.map((resource) => resource.name).sort();
    const served = ['jobs', BIG, KITCHEN, ORDERS];
    if (crowdedBefore || (await redis.dbsize()) > 50_000) expect(served).toEqual(expect.arrayContaining(listed));
    else expect(listed).toEqual(served);
    for (const resource of resources) {
      expect(resource.uri).toBe(`replayrail://channels/${encodeURIComponent(resource.name)}`);
    }

    // A resource: the channel's newest events, in the envelope's wire form.
    const read = await mcp.readResource({ uri: 'replayrail://channels/restaurant%3A1%3Aorders' });
    const stored = (await rail.replay(ORDERS, { after: '0-0' })).events;
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual({ channel: ORDERS, events: stored });

    // replay_channel: rail.replay's page.
    const page = jsonOf(await call(mcp, 'replay_channel', { channel: ORDERS, from: 'earliest', limit: 2 }));
    expect(page).toEqual({
      channel: ORDERS,
      events: stored.slice(0, 2),
      next: stored[1]?.id,
      hasMore: true,
      truncated: false,
    });
    const rest = jsonOf(await call(mcp, 'replay_channel', { channel: ORDERS, after: page.next }));
    expect(rest).toMatchObject({ events: stored.slice(2), hasMore: false });
    // From the snapshot: each key's latest event, then the cursor to read on after.
    const snapshot = jsonOf(await call(mcp, 'replay_channel', { channel: ORDERS, from: 'snapshot' }));
    expect(snapshot.events.map((event: StoredEvent) => [event.payload.order_id, event.type, event.snapshot])).toEqual([
      ['o1', 'order.paid', true],
      ['o2', 'order.created', true],
    ]);
    expect(snapshot).toMatchObject({ next: stored[2]?.id, snapshot: { cursor: stored[2]?.id, nextKey: null } });

    // stream_info: what `replayrail info --json` prints.
    const info = jsonOf(await call(mcp, 'stream_info', { channel: 'jobs' }));
    expect(info).toMatchObject({ channel: 'jobs', exists: true, length: 2 });
    expect(info.groups).toEqual([expect.objectContaining({ name: 'worker', deadLetters: 2 })]);
    // group_info, and an unknown group named with those there are.
    expect(jsonOf(await call(mcp, 'group_info', { channel: 'jobs', group: 'worker' }))).toMatchObject({
      channel: 'jobs',
      group: 'worker',
      deadLetters: 2,
      pending: 0,
    });
    expect(errorOf(await call(mcp, 'group_info', { channel: 'jobs', group: 'nobody' }))).toBe(
      `MCP error ${ErrorCode.InvalidParams}: no consumer group nobody on jobs; its groups: worker`,
    );

    // list_dead_letters, a page at a time.
    const letters = jsonOf(await call(mcp, 'list_dead_letters', { channel: 'jobs', group: 'worker', limit: 1 }));
    expect(letters.deadLetters).toHaveLength(1);
    expect(letters.deadLetters[0]).toMatchObject({
      attempts: 1,
      errorMessage: 'cannot do 1',
      event: { payload: { n: 1 } },
    });
    expect(letters).toMatchObject({ hasMore: true, next: letters.deadLetters[0].id });
    const second = jsonOf(
      await call(mcp, 'list_dead_letters', { channel: 'jobs', group: 'worker', after: letters.next }),
    );
    expect(second.deadLetters.map((letter: { errorMessage: string }) => letter.errorMessage)).toEqual(['cannot do 2']);

    // read_state through the --key-field policy: one key, and a page of keys.
    expect(jsonOf(await call(mcp, 'read_state', { channel: ORDERS, key: 'o1' }))).toEqual({
      channel: ORDERS,
      key: 'o1',
      event: stored[2],
    });
    const state = jsonOf(await call(mcp, 'read_state', { channel: ORDERS, limit: 1 }));
    expect(state).toMatchObject({ entries: [{ key: 'o1' }], snapshotCursor: stored[2]?.id, nextKey: 'o1' });
    const more = jsonOf(
      await call(mcp, 'read_state', {
        channel: ORDERS,
        after_key: state.nextKey,
        snapshot_cursor: state.snapshotCursor,
      }),
    );
    expect(more).toMatchObject({ entries: [{ key: 'o2' }], nextKey: null });
    expect(errorOf(await call(mcp, 'read_state', { channel: ORDERS, key: 'o9' }))).toMatch(/no key o9 in the state/);

    // read_lineage: the billing event is hidden, with its edges; the rest is drawn.
    const lineage = jsonOf(await call(mcp, 'read_lineage', { correlation_id: 'req-1' }));
    expect(lineage.nodes.map((node: { event: StoredEvent }) => node.event.event_id)).toEqual(
      [root, ticket, ticketDone].map((event) => event.event_id),
    );
    expect(lineage.nodes.every((node: { event: StoredEvent }) => node.event.channel !== SECRET)).toBe(true);
    expect(lineage).toMatchObject({
      correlationId: 'req-1',
      hidden: 1,
      truncated: false,
      edges: [{ cause: root.event_id, effect: ticket.event_id }],
    });
    expect(lineage.mermaid).toMatch(/^flowchart TD\n/);
    expect(lineage.mermaid).toContain('ticket.printed');
    expect(lineage.mermaid).not.toContain('invoice.made');
  }, 60_000);

  it('stdio: refuses what it does not serve, validates input, names ReplayRail errors, and bounds its answers', async () => {
    const mcp = await overStdio(['--channels', 'restaurant:*', '--channels', 'jobs']);

    // A channel outside the allow-list: a tool error (the SDK's form), and a JSON-RPC error on a resource.
    const refused = errorOf(await call(mcp, 'replay_channel', { channel: SECRET }));
    expect(refused).toBe(
      `MCP error ${ErrorCode.InvalidParams}: channel ${SECRET} is not served here: this server serves only restaurant:*, jobs (--channels)`,
    );
    const resourceRefusal = await mcp
      .readResource({ uri: 'replayrail://channels/billing%3A1' })
      .catch((error) => error);
    expect(resourceRefusal).toBeInstanceOf(McpError);
    expect(resourceRefusal.code).toBe(ErrorCode.InvalidParams);
    expect(errorOf(await call(mcp, 'stream_info', { channel: SECRET }))).toContain('is not served here');

    // Without --allow-write the write tools do not exist, and nothing is published.
    const before = await redis.xlen(`${prefix}:${ORDERS}`);
    expect(errorOf(await call(mcp, 'publish', { channel: ORDERS, type: 't', payload: {} }))).toBe(
      `MCP error ${ErrorCode.InvalidParams}: Tool publish not found`,
    );
    expect(errorOf(await call(mcp, 'redrive', { channel: 'jobs', group: 'worker', ids: 'all' }))).toBe(
      `MCP error ${ErrorCode.InvalidParams}: Tool redrive not found`,
    );
    expect(await redis.xlen(`${prefix}:${ORDERS}`)).toBe(before);
    expect((await rail.group('jobs', 'worker').info())?.deadLetters).toBe(2);

    // Malformed input: the SDK's validation error, naming the field.
    expect(errorOf(await call(mcp, 'replay_channel', { channel: ORDERS, limit: 'many' }))).toMatch(
      /^MCP error -32602: Input validation error: Invalid arguments for tool replay_channel: .*limit/,
    );
    expect(errorOf(await call(mcp, 'replay_channel', {}))).toMatch(/Input validation error: .*channel/);
    expect(errorOf(await call(mcp, 'replay_channel', { channel: ORDERS, form: 'earliest' }))).toMatch(
      /Input validation error: .*form/,
    );
    // ReplayRail's own refusals name their code.
    expect(errorOf(await call(mcp, 'replay_channel', { channel: ORDERS, after: 'yesterday' }))).toMatch(
      /^MCP error -32602: invalid_cursor: /,
    );
    expect(errorOf(await call(mcp, 'replay_channel', { channel: ORDERS, after: '0-0', from: 'latest' }))).toMatch(
      /^MCP error -32602: invalid_request: /,
    );
    // No state policy given: read_state is refused saying how to give one.
    expect(errorOf(await call(mcp, 'read_state', { channel: ORDERS }))).toMatch(
      /keeps no state that this server knows of: .*--config <module>.*--key-field <payload field>/,
    );

    // Ten 10 kB events do not fit in 64 kB: fewer come back, marked, and the next page goes on from there.
    const stored = (await rail.replay(BIG, { after: '0-0' })).events;
    const first = jsonOf(await call(mcp, 'replay_channel', { channel: BIG, limit: 10 }));
    expect(first.truncated).toBe(true);
    expect(first.hasMore).toBe(true);
    expect(first.events.length).toBeGreaterThan(0);
    expect(first.events.length).toBeLessThan(10);
    expect(first.next).toBe(stored[first.events.length - 1]?.id);
    const second = jsonOf(await call(mcp, 'replay_channel', { channel: BIG, after: first.next, limit: 10 }));
    expect([...first.events, ...second.events].map((event: StoredEvent) => event.id)).toEqual(
      stored.map((event) => event.id),
    );
    expect(second).toMatchObject({ truncated: false, hasMore: false });
    for (const answer of [first, second]) expect(Buffer.byteLength(JSON.stringify(answer))).toBeLessThanOrEqual(65_536);
    // The resource keeps the newest that fit.
    const recent = await mcp.readResource({ uri: 'replayrail://channels/restaurant:1:big' });
    const text = (recent.contents[0] as { text: string }).text;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(65_536);
    const shown = JSON.parse(text);
    expect(shown.truncated).toBe(true);
    expect(shown.events.map((event: StoredEvent) => event.id)).toEqual(
      stored.slice(10 - shown.events.length).map((event) => event.id),
    );
  }, 60_000);

  it('http: with --allow-write, publish and redrive work on served channels and nothing else is written', async () => {
    const { client: mcp, child } = await overHttp(['--allow-write', '--channels', 'restaurant:*,jobs']);
    const { tools } = await mcp.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['publish', 'redrive']));
    expect(tools.find((tool) => tool.name === 'publish')?.inputSchema).toMatchObject({
      required: ['channel', 'type', 'payload'],
      properties: { payload: { type: 'object' }, event_id: { type: 'string' } },
    });

    const published = jsonOf(
      await call(mcp, 'publish', {
        channel: 'restaurant:2:orders',
        type: 'order.created',
        payload: { order_id: 'o7' },
        actor: { type: 'agent', id: 'a1' },
        event_id: 'mcp-1',
      }),
    );
    const stored = (await rail.replay('restaurant:2:orders', { after: '0-0' })).events;
    expect(stored).toHaveLength(1);
    expect(published).toEqual({ event: stored[0] });
    expect(stored[0]).toMatchObject({ event_id: 'mcp-1', actor: { id: 'a1' }, payload: { order_id: 'o7' } });

    // A channel outside the allow-list: refused, and no stream was made.
    expect(errorOf(await call(mcp, 'publish', { channel: `${SECRET}:x`, type: 't', payload: {} }))).toContain(
      'is not served here',
    );
    expect(await redis.exists(`${prefix}:${SECRET}:x`)).toBe(0);
    // Bad input: nothing published either.
    expect(errorOf(await call(mcp, 'publish', { channel: 'restaurant:2:orders', type: 't', payload: 'no' }))).toMatch(
      /Input validation error: .*payload/,
    );
    expect(await redis.xlen(`${prefix}:restaurant:2:orders`)).toBe(1);

    // redrive one dead letter, by its id.
    const [letter] = await rail.group('jobs', 'worker').deadLetters({ limit: 1 });
    expect(jsonOf(await call(mcp, 'redrive', { channel: 'jobs', group: 'worker', ids: [letter?.id, '1-0'] }))).toEqual({
      channel: 'jobs',
      group: 'worker',
      redriven: 1,
      notDeadLetters: 1,
    });
    expect((await rail.group('jobs', 'worker').info())?.deadLetters).toBe(1);

    // Tools and resources read over HTTP as over stdio.
    const { resources } = await mcp.listResources();
    expect(resources.map((resource) => resource.name)).toContain('restaurant:2:orders');

    // SIGTERM ends it cleanly.
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 60_000);

  it('http: only POST at /mcp, from its own host name; stdio: ends when its client closes stdin', async () => {
    const { url: endpoint, child } = await overHttp([]);
    expect((await fetch(endpoint)).status).toBe(405);
    expect((await fetch(new URL('/elsewhere', endpoint), { method: 'POST' })).status).toBe(404);
    // Another name for the loopback address (a DNS rebinding page): refused before any tool runs.
    const status = (host: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
        const sent = request(endpoint, {
          method: 'POST',
          headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        });
        sent.on('response', (response) => {
          response.resume();
          resolve(response.statusCode);
        });
        sent.on('error', reject);
        sent.end(body);
      });
    expect(await status('attacker.example')).toBe(403);
    expect(await status(endpoint.host)).toBe(200);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);

    // On stdio, the client closing its end is the end of the server (exit 0, nothing on stdout but the protocol).
    const stdio = spawn(process.execPath, [bin, 'mcp', '--prefix', prefix, '--redis', url], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(stdio);
    let stdout = '';
    stdio.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    await new Promise<void>((resolve) => {
      let stderr = '';
      stdio.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('MCP server on stdio')) resolve();
      });
    });
    stdio.stdin?.end();
    expect(await exited(stdio)).toBe(0);
    expect(stdout).toBe('');
  }, 30_000);
});
