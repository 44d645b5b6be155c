import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type RawAnswer, type RawRequest, rawRequest, UPGRADE_HEADERS } from './raw-http.js';
import { connect } from './socket-client.js';
import type { StartTransport, StoreFixture } from './socket-suite.js';

/**
 * One row of "Requests and their answers" in docs/protocol.md: a request as sent
 * (its path never normalized) and the answer every transport serving it gives.
 */
export interface InputRow {
  /** The request, as the document shows it. */
  readonly input: string;
  readonly request: RawRequest;
  /**
   * `open` (101, the socket serves), `<close code> <reason>` (101, then closed at
   * once with that code), `<status>` (no socket; plain text), `<status> <code>` (a
   * JSON error body).
   */
  readonly answer: string;
}

const upgrade = (path: string, headers: Record<string, string> = {}, method = 'GET'): RawRequest => ({
  method,
  path,
  headers: { ...UPGRADE_HEADERS, ...headers },
});
const withoutHeader = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(UPGRADE_HEADERS).filter(([header]) => header !== name));
const publish = (path: string): RawRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json' },
  body: '{"type":"t","payload":{}}',
});

/**
 * The WebSocket rows: server-ws and the Hono adapter give each the same answer
 * (issue #20). A channel is taken from the path as sent, so dot segments (plain or
 * encoded), backslashes and fragments reach channel validation and are refused there.
 */
export const SOCKET_INPUT_TABLE: readonly InputRow[] = [
  { input: 'GET /ws/ok (a complete handshake)', request: upgrade('/ws/ok'), answer: 'open' },
  { input: 'GET /ws (a complete handshake)', request: upgrade('/ws'), answer: 'open' },
  { input: 'GET http://127.0.0.1/ws/ok (absolute form)', request: upgrade('http://127.0.0.1/ws/ok'), answer: 'open' },
  { input: 'GET /ws/a%2Fb (channel a/b)', request: upgrade('/ws/a%2Fb'), answer: 'open' },
  { input: 'GET /ws/a/../b', request: upgrade('/ws/a/../b'), answer: '4400 invalid_channel' },
  { input: 'GET /ws/a/%2e%2e/b', request: upgrade('/ws/a/%2e%2e/b'), answer: '4400 invalid_channel' },
  { input: 'GET /ws/ok/%2E/b', request: upgrade('/ws/ok/%2E/b'), answer: '4400 invalid_channel' },
  { input: 'GET /ws/x\\y', request: upgrade('/ws/x\\y'), answer: '4400 invalid_channel' },
  { input: 'GET /ws/x#frag', request: upgrade('/ws/x#frag'), answer: '4400 invalid_channel' },
  { input: 'GET /ws/%ZZ', request: upgrade('/ws/%ZZ'), answer: '4400 invalid_channel' },
  { input: 'GET /ws/', request: upgrade('/ws/'), answer: '4400 invalid_channel' },
  { input: 'GET /ws/idempotency (reserved)', request: upgrade('/ws/idempotency'), answer: '4400 invalid_channel' },
  {
    input: 'GET /ws/ok?last_event_id=nope',
    request: upgrade('/ws/ok?last_event_id=nope'),
    answer: '4400 invalid_cursor',
  },
  {
    input: 'GET /ws/ok?after=0-0&from=latest',
    request: upgrade('/ws/ok?after=0-0&from=latest'),
    answer: '4400 invalid_request',
  },
  { input: 'GET /elsewhere (a complete handshake)', request: upgrade('/elsewhere'), answer: '404' },
  { input: 'GET /x/../ws/ok (a complete handshake)', request: upgrade('/x/../ws/ok'), answer: '404' },
  { input: 'GET /ws/ok, no upgrade headers', request: { path: '/ws/ok' }, answer: '426' },
  {
    input: 'GET /ws/ok, Upgrade: websocket without Connection: Upgrade',
    request: { path: '/ws/ok', headers: withoutHeader('connection') },
    answer: '426',
  },
  {
    input: 'GET /ws/ok, Connection: Upgrade without Upgrade',
    request: { path: '/ws/ok', headers: withoutHeader('upgrade') },
    answer: '426',
  },
  { input: 'POST /ws/ok, a complete handshake', request: upgrade('/ws/ok', {}, 'POST'), answer: '405' },
  { input: 'HEAD /ws/ok, a complete handshake', request: upgrade('/ws/ok', {}, 'HEAD'), answer: '405' },
  { input: 'GET /ws/ok, Upgrade: h2c', request: upgrade('/ws/ok', { upgrade: 'h2c' }), answer: '400' },
  {
    input: 'GET /ws/ok, Sec-WebSocket-Version: 12',
    request: upgrade('/ws/ok', { 'sec-websocket-version': '12' }),
    answer: '400',
  },
  {
    input: 'GET /ws/ok, no Sec-WebSocket-Key',
    request: { path: '/ws/ok', headers: withoutHeader('sec-websocket-key') },
    answer: '400',
  },
  {
    input: 'GET /ws/ok, an 8-byte Sec-WebSocket-Key',
    request: upgrade('/ws/ok', { 'sec-websocket-key': 'AAAAAAAAAAA=' }),
    answer: '400',
  },
];

/** The HTTP rows, for a transport that serves the HTTP routes too (the Hono adapter). */
export const HTTP_INPUT_TABLE: readonly InputRow[] = [
  { input: 'POST /events/ok', request: publish('/events/ok'), answer: '201' },
  {
    input: 'GET /events/ok, a complete handshake asking for an event stream',
    request: upgrade('/events/ok', { accept: 'text/event-stream' }),
    answer: '404',
  },
  {
    input: 'POST /events/public/%2e%2e/private',
    request: publish('/events/public/%2e%2e/private'),
    answer: '400 invalid_channel',
  },
  { input: 'POST /events/a/../b', request: publish('/events/a/../b'), answer: '400 invalid_channel' },
  { input: 'POST /x/../events/b', request: publish('/x/../events/b'), answer: '404' },
  { input: 'GET /events/a/%2e%2e/b (a page)', request: { path: '/events/a/%2e%2e/b' }, answer: '400 invalid_channel' },
  { input: 'GET /events/x\\y (a page)', request: { path: '/events/x\\y' }, answer: '400 invalid_channel' },
  {
    input: 'GET /events/ok/%2E/b (an event stream)',
    request: { path: '/events/ok/%2E/b', headers: { accept: 'text/event-stream' } },
    answer: '400 invalid_channel',
  },
  {
    input: 'GET /events/x#frag (an event stream)',
    request: { path: '/events/x#frag', headers: { accept: 'text/event-stream' } },
    answer: '400 invalid_channel',
  },
];

/** Where a path that a runtime would resolve ends up: none of these channels may get anything. */
export const RESOLVED_CHANNELS: readonly string[] = ['b', 'ok/b', 'x/y', 'x', 'private'];

/** An answer as the table writes it. */
export function answerOf(answer: RawAnswer): string {
  if (answer.status === 0) return 'no answer';
  if (answer.status === 101) return answer.close === undefined ? 'open' : `${answer.close.code} ${answer.close.reason}`;
  try {
    const code = (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
    if (typeof code === 'string') return `${answer.status} ${code}`;
  } catch {
    // a plain-text answer
  }
  return String(answer.status);
}

/** The table's rows as docs/protocol.md has them: input and answer, each in backticks. */
export function tableCells(rows: readonly InputRow[]): string[][] {
  return rows.map((row) => [`\`${row.input}\``, `\`${row.answer}\``]);
}

const PROTOCOL_DOC = join(import.meta.dirname, '..', '..', '..', 'docs', 'protocol.md');

/** The cells of the document's table: its rows between the header and the next blank line. */
function documentedCells(): string[][] {
  const text = readFileSync(PROTOCOL_DOC, 'utf8');
  const start = text.search(/^\| request +\| answer +\|$/m);
  if (start === -1) throw new Error('docs/protocol.md has no "| request | answer |" table');
  const lines = text.slice(start).split('\n');
  const end = lines.indexOf('');
  return lines.slice(2, end === -1 ? undefined : end).map((line) =>
    line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim()),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a transport holds, and the faults it reported to `onError`. */
export interface TargetState {
  readonly connections: number;
  readonly liveChannels: number;
  readonly faults: number;
}

/** A running transport the table is checked on: in this process, or a Bun or Deno server. */
export interface InputTarget {
  readonly port: number;
  /** It serves the HTTP routes too (the Hono adapter). */
  readonly http: boolean;
  /**
   * Rows its runtime answers itself, before any route of the adapter sees the
   * request (docs/protocol.md), by input, with the runtime's answer.
   */
  readonly runtimeAnswers?: Readonly<Record<string, string>>;
  /**
   * The runtime resolves dot segments and backslashes before the adapter sees the
   * path (Bun): what it stores there is the runtime's doing, not checked.
   */
  readonly resolvesPaths?: boolean;
  state(): Promise<TargetState>;
  /** Events stored on a channel. */
  stored(channel: string): Promise<number>;
  publish(channel: string): Promise<StoredEvent>;
}

/** Polls the target until it holds nothing (or two seconds passed); resolves with its state. */
async function settled(target: InputTarget): Promise<TargetState> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const state = await target.state();
    if ((state.connections === 0 && state.liveChannels === 0) || Date.now() > deadline) return state;
    await sleep(10);
  }
}

/** Every row of the table on `target`: the answers, nothing stored where a path was resolved, nothing held after. */
export async function checkInputTable(target: InputTarget): Promise<void> {
  const rows = target.http ? [...SOCKET_INPUT_TABLE, ...HTTP_INPUT_TABLE] : SOCKET_INPUT_TABLE;
  const answers: string[] = [];
  for (const row of rows) answers.push(answerOf(await rawRequest(target.port, row.request, { answerMs: 1_500 })));
  for (const input of Object.keys(target.runtimeAnswers ?? {})) expect(rows.map((row) => row.input)).toContain(input);
  expect(answers).toEqual(rows.map((row) => target.runtimeAnswers?.[row.input] ?? row.answer));
  if (target.resolvesPaths !== true) {
    for (const channel of RESOLVED_CHANNELS) {
      expect({ channel, stored: await target.stored(channel) }).toEqual({ channel, stored: 0 });
    }
  }
  expect(await settled(target)).toEqual({ connections: 0, liveChannels: 0, faults: 0 });
}

/**
 * Issue #20's lockout: 60 requests with `Upgrade: websocket` but no `Connection:
 * Upgrade`, one after another on one keep-alive connection, against a cap of 50
 * (the target's `maxConnections`). Each gets 426 and holds nothing while the
 * connection stays open; a real client gets in meanwhile and is served.
 */
export async function checkKeepAliveLockout(target: InputTarget, socketUrl: string): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const sockets = new Set<unknown>();
    const statuses = new Set<number>();
    for (let i = 0; i < 60; i++) {
      const answer = await rawRequest(
        target.port,
        { path: `/ws/lockout-${i}`, headers: withoutHeader('connection') },
        { agent },
      );
      statuses.add(answer.status);
      for (const socket of Object.values(agent.sockets).flat()) sockets.add(socket);
      for (const socket of Object.values(agent.freeSockets).flat()) sockets.add(socket);
    }
    // One connection carried them all, and it is still open: nothing is held for them.
    expect(sockets.size).toBe(1);
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
    expect(await target.state()).toEqual({ connections: 0, liveChannels: 0, faults: 0 });
    expect([...statuses]).toEqual([426]);
    // A real client gets in meanwhile, and is served.
    const client = connect(`${socketUrl}/served?from=latest`);
    await client.opened;
    const event = await target.publish('served');
    await client.until((frames) => frames.length === 1);
    expect(client.json()).toEqual([JSON.parse(JSON.stringify(event))]);
    client.ws.close();
    await client.closed;
    if (target.http) {
      const stream = await rawRequest(target.port, {
        path: '/events/served',
        headers: { accept: 'text/event-stream' },
      });
      expect(stream.status).toBe(200);
    }
  } finally {
    agent.destroy();
  }
}

/**
 * The table of requests and their answers (docs/protocol.md), checked on a
 * transport in this process, and the keep-alive lockout of issue #20.
 */
export function inputTableSuite(
  name: string,
  startTransport: StartTransport,
  fixture: () => Promise<StoreFixture>,
  options: Pick<InputTarget, 'http' | 'runtimeAnswers'>,
): void {
  describe(`requests and their answers: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function start(maxConnections?: number): Promise<{ target: InputTarget; url: string }> {
      const { store, prefix, dispose } = await fixture();
      const rail = new ReplayRail({ store, config: { streamPrefix: prefix } });
      let faults = 0;
      const server = await startTransport(rail, {
        ...(maxConnections !== undefined && { maxConnections }),
        onError: () => faults++,
      });
      cleanups.push(async () => {
        await server.close();
        await rail.close();
        await dispose();
      });
      const target: InputTarget = {
        ...options,
        port: Number(new URL(server.url).port),
        state: async () => ({ connections: server.connections(), liveChannels: rail.liveChannels, faults }),
        stored: async (channel) => (await rail.replay(channel, { after: '0-0' })).events.length,
        publish: (channel) => rail.publish({ channel, type: 't', payload: {} }),
      };
      return { target, url: server.url };
    }

    it('is the table docs/protocol.md shows', () => {
      expect(documentedCells()).toEqual(tableCells([...SOCKET_INPUT_TABLE, ...HTTP_INPUT_TABLE]));
    });

    it('answers every row as the table says, stores nothing where a path was resolved, and holds nothing after', async () => {
      const { target } = await start();
      await checkInputTable(target);
    }, 30_000);

    it('holds nothing for 60 requests with Upgrade but no Connection: Upgrade on one keep-alive connection', async () => {
      const { target, url } = await start(50);
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.name);
      process.on('warning', onWarning);
      try {
        await checkKeepAliveLockout(target, url);
      } finally {
        process.off('warning', onWarning);
      }
      // Node warned MaxListenersExceededWarning when every request added listeners to the connection.
      expect(warnings).toEqual([]);
    }, 30_000);
  });
}
