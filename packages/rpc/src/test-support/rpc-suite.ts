import {
  type EventStore,
  isReplayRailError,
  ReplayRail,
  type ReplayRailConfig,
  type StoredEvent,
} from '@replayrail/core';
import { RpcError } from '@replayrail/core/errors';
import type { RawStreamEntry } from '@replayrail/core/store';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcClient, type RpcClientOptions } from '../client.js';
import { type Handlers, RpcServer, type RpcServerOptions, type ServeOptions } from '../server.js';
import { arithContract } from './contracts/arith.js';

/** A store for one test under its own key prefix, and how to let it go. */
export interface RpcStoreFixture {
  readonly store: EventStore;
  readonly prefix: string;
  dispose(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** What each test gets: a rail on the fixture's store, and servers and clients that are stopped after it. */
interface World {
  readonly rail: ReplayRail;
  server(options?: Omit<RpcServerOptions, 'rail'>): RpcServer;
  client(options?: Omit<RpcClientOptions, 'rail'>): Promise<RpcClient>;
  /** The command stream's entries, as stored. */
  commands(): Promise<RawStreamEntry[]>;
}

/** A handler set for arith that counts what ran, with knobs a test turns. */
function arithHandlers(log: { calls: string[]; notified: unknown[] }): Handlers<typeof arithContract> {
  return {
    add: ({ a, b }) => {
      log.calls.push('add');
      return { sum: a + b };
    },
    slowAdd: async ({ a, b, sleepMs }, context) => {
      log.calls.push(`slowAdd:${context.attempt}`);
      await sleep(sleepMs);
      return { sum: a + b };
    },
    divide: ({ a, b }) => {
      log.calls.push('divide');
      if (b === 0) throw new RpcError(-32000, 'division by zero', { a });
      return { q: a / b };
    },
    echoText: ({ text }) => {
      log.calls.push('echoText');
      if (text === 'break the result') return { text: 42 } as unknown as { text: string };
      if (text === 'throw') throw new Error('the handler broke');
      return { text };
    },
    describe: ({ orderId }) => ({ orderId, lines: [{ itemName: 'soup', qty: 1 }], note: null }),
    ping: (params) => {
      log.notified.push(params);
    },
  };
}

/**
 * The RPC server and client on a store, over real streams: calls, notifications,
 * every error code, timeouts and deadlines, late replies, concurrency and ordering,
 * claims and reclaims, dead letters, stop with calls in flight, calls sent before
 * any server ran. Run on the memory store and on Redis.
 */
export function rpcSuite(name: string, fixture: () => Promise<RpcStoreFixture>): void {
  describe(`rpc: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function world(config: Pick<ReplayRailConfig, 'maxStreamLength' | 'lineage'> = {}): Promise<World> {
      const { store, prefix, dispose } = await fixture();
      const rail = new ReplayRail({ store, config: { streamPrefix: prefix, readBlockMs: 200, ...config } });
      cleanups.push(async () => {
        await rail.close();
        await dispose();
      });
      return {
        rail,
        server(options = {}) {
          const server = new RpcServer({ rail, onError: () => {}, ...options });
          cleanups.push(() => server.stop({ graceMs: 500 }));
          return server;
        },
        async client(options = {}) {
          const client = new RpcClient({ rail, onError: () => {}, ...options });
          cleanups.push(() => client.stop());
          await client.start();
          return client;
        },
        commands: async () =>
          (await store.raw?.read({ prefix, channel: 'cmds:arith' }, { after: '0-0', blockMs: 0, limit: 10_000 })) ?? [],
      };
    }

    async function served(options: ServeOptions = {}, serverOptions: Omit<RpcServerOptions, 'rail'> = {}) {
      const w = await world();
      const log = { calls: [] as string[], notified: [] as unknown[] };
      const server = w.server(serverOptions).serve(arithContract, arithHandlers(log), { claimIdleMs: 300, ...options });
      await server.start();
      const client = await w.client();
      return { ...w, log, server, client, arith: client.proxy(arithContract) };
    }

    it('answers a call with its typed result, and handles a notification once it is stored', async () => {
      const { arith, log } = await served();
      expect(await arith.add({ a: 2, b: 3 })).toEqual({ sum: 5 });
      expect(await arith.describe({ orderId: 'o1' })).toEqual({
        orderId: 'o1',
        lines: [{ itemName: 'soup', qty: 1 }],
        note: null,
      });
      await arith.ping({ tag: 't1' });
      await until(() => log.notified.length === 1, 'the notification');
      expect(log.notified).toEqual([{ tag: 't1' }]);
    });

    it('carries a call’s cause: what its handler publishes is an effect of the event that caused the call', async () => {
      const w = await world({ lineage: { index: true } });
      const published: StoredEvent[] = [];
      const server = w.server().serve(arithContract, {
        ...arithHandlers({ calls: [], notified: [] }),
        add: async ({ a, b }, context) => {
          expect([context.correlationId, context.causationId]).toEqual(
            a === 1 ? ['wf', published[0]?.event_id] : [undefined, undefined],
          );
          published.push(await context.publish({ channel: 'sums', type: 'sum.done', payload: { sum: a + b } }));
          return { sum: a + b };
        },
      });
      await server.start();
      const arith = (await w.client()).proxy(arithContract);
      const root = await w.rail.publish({
        channel: 'orders',
        type: 'order.created',
        payload: {},
        metadata: { correlation_id: 'wf' },
      });
      published.push(root);
      await arith.add({ a: 1, b: 2 }, { causedBy: root });
      const lineage = await w.rail.lineage('wf');
      expect(lineage.nodes.map(({ event }) => event.type)).toEqual(['order.created', 'sum.done']);
      expect(lineage.edges).toEqual([{ cause: root.event_id, effect: published[1]?.event_id }]);
      // A call without a cause: the handler's publish has none either.
      await arith.add({ a: 5, b: 5 });
      expect(published[2]?.metadata).toEqual({});
    });

    it('writes clamator’s keys and entries: cmds:<service>, type / envelope / reply-to first, ours after', async () => {
      const w = await world();
      const client = await w.client({ instanceId: 'cli-1' });
      const calling = client.call('arith', 'add', { a: 2, b: 3 }, { timeoutMs: 300 }).catch((error) => error);
      await until(async () => (await w.commands()).length === 1, 'the command');
      const [entry] = await w.commands();
      const fields = entry?.fields as Record<string, string>;
      expect(Object.keys(fields).slice(0, 3)).toEqual(['type', 'envelope', 'reply-to']);
      expect(fields.type).toBe('rpc');
      expect(fields['reply-to']).toBe(client.replyTo);
      expect(client.replyTo.endsWith('replies:cli-1') || client.replyTo.endsWith('{replies:cli-1}')).toBe(true);
      const envelope = JSON.parse(fields.envelope as string);
      expect(envelope).toEqual({ jsonrpc: '2.0', method: 'arith.add', params: { a: 2, b: 3 }, id: expect.any(String) });
      expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(fields.deadline)).toBeGreaterThan(Date.now() - 1_000);
      // No server: the caller gets a typed timeout.
      expect(isReplayRailError(await calling, 'rpc_timeout')).toBe(true);
      // A notification: no id, no reply-to.
      await client.notify('arith', 'ping', {});
      const notification = (await w.commands())[1]?.fields as Record<string, string>;
      expect(notification['reply-to']).toBeUndefined();
      expect(JSON.parse(notification.envelope as string)).toEqual({ jsonrpc: '2.0', method: 'arith.ping', params: {} });
    });

    it('answers every error code: not found, invalid params, a handler’s RpcError, internal, result validation', async () => {
      const { client, arith, rail } = await served({ maxAttempts: 2 });
      const codeOf = (promise: Promise<unknown>) =>
        promise.then(
          () => 'no error',
          (error: unknown) => (isReplayRailError(error, 'rpc_error') ? (error as RpcError).rpcCode : error),
        );
      expect(await codeOf(client.call('arith', 'nope', {}))).toBe(-32601);
      // Sent as it is (not through the proxy, which refuses it before sending).
      expect(await codeOf(client.call('arith', 'add', { a: 'x', b: 1 }))).toBe(-32602);
      expect(await codeOf(arith.add({ a: 'x' as unknown as number, b: 1 }))).toBe(-32602);
      const division = await arith.divide({ a: 1, b: 0 }).catch((error: RpcError) => error);
      expect(division).toMatchObject({
        code: 'rpc_error',
        rpcCode: -32000,
        message: 'division by zero',
        data: { a: 1 },
      });
      const broken = await arith.echoText({ text: 'throw' }).catch((error: RpcError) => error);
      expect(broken).toMatchObject({ rpcCode: -32603, message: 'Internal error', data: { name: 'Error' } });
      expect(await codeOf(arith.echoText({ text: 'break the result' }))).toBe(-32603);
      // Both failures are dead letters, with why.
      await until(async () => (await rail.group('cmds:arith', 'arith').info())?.deadLetters === 2, 'the dead letters');
      const letters = await rail.group('cmds:arith', 'arith').deadLetters();
      expect(letters.map((letter) => [letter.errorName, letter.attempts])).toEqual([
        ['Error', 2],
        ['TypeError', 1],
      ]);
    }, 20_000);

    it('answers an entry that is not a call when it has an id and a reply-to, and dead-letters it', async () => {
      const { rail, client } = await served();
      const raw = rail.store.raw;
      const stream = { prefix: rail.config.streamPrefix, channel: 'cmds:arith' };
      const replies = { prefix: rail.config.streamPrefix, channel: `replies:${client.instanceId}` };
      // Old JSON-RPC and garbage, as another writer might send them.
      await raw?.append(stream, {
        type: 'rpc',
        envelope: '{"jsonrpc": "1.0", "method": "arith.add", "id": "bad-1"}',
        'reply-to': client.replyTo,
      });
      await raw?.append(stream, { type: 'rpc', envelope: 'not json', 'reply-to': client.replyTo });
      await until(async () => (await rail.group('cmds:arith', 'arith').info())?.deadLetters === 2, 'the dead letters');
      const answers = (await raw?.read(replies, { after: '0-0', blockMs: 0, limit: 10 })) ?? [];
      expect(answers.map((entry) => JSON.parse(entry.fields.envelope as string))).toEqual([
        { jsonrpc: '2.0', id: 'bad-1', error: { code: -32600, message: 'Invalid Request', data: expect.any(Object) } },
      ]);
    });

    it('reads envelopes as Python writes them: spaced separators, \\u escapes', async () => {
      const { rail, client } = await served();
      const stream = { prefix: rail.config.streamPrefix, channel: 'cmds:arith' };
      const replies = { prefix: rail.config.streamPrefix, channel: `replies:${client.instanceId}` };
      await rail.store.raw?.append(stream, {
        type: 'rpc',
        envelope:
          '{"jsonrpc": "2.0", "method": "arith.echoText", "params": {"text": "caf\\u00e9 \\u2713"}, "id": "py-1"}',
        'reply-to': client.replyTo,
      });
      await until(
        async () => ((await rail.store.raw?.read(replies, { after: '0-0', blockMs: 0, limit: 10 })) ?? []).length === 1,
        'the reply',
      );
      const [reply] = (await rail.store.raw?.read(replies, { after: '0-0', blockMs: 0, limit: 10 })) ?? [];
      expect(JSON.parse(reply?.fields.envelope as string)).toEqual({
        jsonrpc: '2.0',
        id: 'py-1',
        result: { text: 'café ✓' },
      });
    });

    it('times out a call no one answers in time, drops the late reply, and a stopped client’s stream stays gone', async () => {
      const { client, arith, rail, log } = await served();
      const slow = await arith.slowAdd({ a: 1, b: 1, sleepMs: 400 }, { timeoutMs: 100 }).catch((error) => error);
      expect(isReplayRailError(slow, 'rpc_timeout')).toBe(true);
      // The server still ran it and answered; the client drops the late reply and goes on.
      await until(() => log.calls.includes('slowAdd:1'), 'the slow handler');
      await sleep(500);
      expect(await arith.add({ a: 1, b: 2 })).toEqual({ sum: 3 });
      // A reply to a client that stopped is not written: its stream is not made again.
      const late = arith.slowAdd({ a: 1, b: 1, sleepMs: 300 }, { timeoutMs: 5_000 }).catch((error) => error);
      await until(() => log.calls.filter((call) => call.startsWith('slowAdd')).length === 2, 'the second slow call');
      await client.stop();
      expect(isReplayRailError(await late, 'rpc_transport')).toBe(true);
      await sleep(500);
      const replies = { prefix: rail.config.streamPrefix, channel: `replies:${client.instanceId}` };
      expect(await rail.store.raw?.append(replies, { type: 'probe' }, { mustExist: true })).toBeNull();
    });

    it('does not start a call whose caller has given up; serves calls sent before any server ran', async () => {
      const w = await world();
      const client = await w.client();
      const arith = client.proxy(arithContract);
      // Sent while no server runs: one gives up soon, one waits.
      const gaveUp = arith.add({ a: 1, b: 1 }, { timeoutMs: 100 }).catch((error) => error);
      const waits = arith.add({ a: 2, b: 2 }, { timeoutMs: 10_000 });
      expect(isReplayRailError(await gaveUp, 'rpc_timeout')).toBe(true);
      const log = { calls: [] as string[], notified: [] as unknown[] };
      await w.server().serve(arithContract, arithHandlers(log)).start();
      expect(await waits).toEqual({ sum: 4 });
      await until(async () => (await w.rail.group('cmds:arith', 'arith').info())?.pending === 0, 'the acks');
      expect(log.calls).toEqual(['add']); // the one whose caller gave up never ran
    });

    it('reports a timeout only once the deadline has passed on the clock a server reads', async () => {
      const w = await world();
      const arith = (await w.client()).proxy(arithContract);
      // The wall clock stands still: the timer (monotonic) runs out, the deadline has not passed.
      const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now());
      let settled = false;
      const call = arith
        .add({ a: 1, b: 1 }, { timeoutMs: 20 })
        .catch((error) => error)
        .finally(() => {
          settled = true;
        });
      try {
        await sleep(100);
        expect(settled).toBe(false);
      } finally {
        clock.mockRestore();
      }
      expect(isReplayRailError(await call, 'rpc_timeout')).toBe(true);
    });

    it('stops waiting on its signal; the call ends once, with the reason', async () => {
      const { arith } = await served();
      const controller = new AbortController();
      const waiting = arith.slowAdd({ a: 1, b: 1, sleepMs: 300 }, { signal: controller.signal });
      const reason = new Error('user left');
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      await expect(arith.add({ a: 1, b: 1 }, { signal: controller.signal })).rejects.toBe(reason);
    });

    it('runs `concurrency` calls at once, and calls of one ordering key one at a time, in order', async () => {
      const w = await world();
      let running = 0;
      let most = 0;
      const order: number[] = [];
      const server = w.server().serve(
        arithContract,
        {
          ...arithHandlers({ calls: [], notified: [] }),
          slowAdd: async ({ a, b, sleepMs }) => {
            running++;
            most = Math.max(most, running);
            await sleep(sleepMs);
            running--;
            if (b === 0) order.push(a);
            return { sum: a + b };
          },
        },
        // Calls with b = 0 share a key: they run one at a time, in the order sent.
        { concurrency: 4, orderingKey: ({ params }) => ((params as { b: number }).b === 0 ? 'serial' : undefined) },
      );
      await server.start();
      const arith = (await w.client()).proxy(arithContract);
      const parallel = await Promise.all(
        Array.from({ length: 8 }, (_, i) => arith.slowAdd({ a: i, b: 1, sleepMs: 100 })),
      );
      expect(parallel.map((r) => r.sum)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(most).toBe(4);
      most = 0;
      await Promise.all(Array.from({ length: 5 }, (_, i) => arith.slowAdd({ a: i, b: 0, sleepMs: 20 })));
      expect(most).toBe(1);
      expect(order).toEqual([0, 1, 2, 3, 4]);
    }, 20_000);

    it('keeps the claim of a handler slower than claimIdleMs: two servers, one run', async () => {
      const w = await world();
      const log = { calls: [] as string[], notified: [] as unknown[] };
      for (let i = 0; i < 2; i++) {
        await w.server().serve(arithContract, arithHandlers(log), { claimIdleMs: 100, concurrency: 2 }).start();
      }
      const arith = (await w.client()).proxy(arithContract);
      expect(await arith.slowAdd({ a: 1, b: 2, sleepMs: 600 })).toEqual({ sum: 3 });
      expect(log.calls.filter((call) => call.startsWith('slowAdd'))).toEqual(['slowAdd:1']);
    }, 20_000);

    it('gives the calls of a process that died to another; drains calls in flight on stop', async () => {
      const w = await world();
      const log = { calls: [] as string[], notified: [] as unknown[] };
      const first = w.server({ instanceId: 'first' }).serve(arithContract, arithHandlers(log), { claimIdleMs: 200 });
      await first.start();
      const arith = (await w.client()).proxy(arithContract);
      // In flight when its server stops with a grace that covers it: answered.
      const drained = arith.slowAdd({ a: 1, b: 1, sleepMs: 200 });
      await until(() => log.calls.includes('slowAdd:1'), 'the call to start');
      await first.stop({ graceMs: 2_000 });
      expect(await drained).toEqual({ sum: 2 });
      // Taken by a process that dies (stopped with no grace: its calls stay pending on it).
      const dying = w.server({ instanceId: 'dying' }).serve(arithContract, arithHandlers(log), { claimIdleMs: 200 });
      await dying.start();
      const orphan = arith.slowAdd({ a: 5, b: 5, sleepMs: 400 }, { timeoutMs: 10_000 });
      await until(() => log.calls.filter((call) => call.startsWith('slowAdd')).length === 2, 'the call to start');
      await dying.stop({ graceMs: 0 });
      await w.server({ instanceId: 'heir' }).serve(arithContract, arithHandlers(log), { claimIdleMs: 200 }).start();
      expect(await orphan).toEqual({ sum: 10 });
      expect(log.calls.filter((call) => call.startsWith('slowAdd'))).toEqual(['slowAdd:1', 'slowAdd:1', 'slowAdd:2']);
    }, 20_000);

    it('trims a command stream as the rail trims its channels (maxStreamLength)', async () => {
      const w = await world({ maxStreamLength: 10 });
      const client = await w.client();
      for (let i = 0; i < 300; i++) await client.notify('arith', 'ping', { tag: String(i) });
      const kept = await w.commands();
      // About 10: Redis trims whole nodes (MAXLEN ~), so up to a node's 100 more.
      expect(kept.length).toBeGreaterThanOrEqual(10);
      expect(kept.length).toBeLessThan(150);
      expect(JSON.parse(kept.at(-1)?.fields.envelope as string).params).toEqual({ tag: '299' });
    });

    it('refuses what cannot work: a service served twice, start after stop, calls before start', async () => {
      const w = await world();
      const server = w.server().serve(arithContract, arithHandlers({ calls: [], notified: [] }));
      expect(() => server.serve(arithContract, arithHandlers({ calls: [], notified: [] }))).toThrow(/served already/);
      await server.start();
      await server.start(); // idempotent
      await server.stop();
      await server.stop();
      await expect(server.start()).rejects.toThrow(/stopped/);
      // Two starts at once read the reply stream once; stop waits for that one reader.
      const twice = new RpcClient({ rail: w.rail });
      await Promise.all([twice.start(), twice.start()]);
      await twice.stop();
      const idle = new RpcClient({ rail: w.rail });
      await expect(idle.call('arith', 'add', {})).rejects.toThrow(/start\(\)/);
      await expect(idle.call('Arith', 'add', {})).rejects.toThrow(/service name/);
    });
  });
}
