import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect, freePort } from '@replayrail/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The root README's walkthrough, run against the demo started with the README's own
// command (`make demo`), with the Python README's exact curl body and WebSocket URL.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
const BODY = '{"type":"order.created","payload":{"order_id":"ord_123"}}';

describe('the README walkthrough against `make demo`', () => {
  let demo: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    // Its own process group, so the test can stop make and the server it started.
    demo = spawn('make', ['--no-print-directory', 'demo'], {
      cwd: root,
      env: { ...process.env, PORT: String(port), REDIS_URL: '' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`make demo did not start in 120 s:\n${output}`)), 120_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`ReplayRail demo: http://localhost:${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      demo.stdout?.on('data', read);
      demo.stderr?.on('data', read);
      demo.on('exit', (code) => reject(new Error(`make demo exited with ${code}:\n${output}`)));
    });
  }, 150_000);
  afterAll(() => {
    if (demo.pid !== undefined) process.kill(-demo.pid, 'SIGTERM');
  });

  const curl = async (body: string) => {
    const { stdout } = await run('curl', [
      '-sS',
      '-X',
      'POST',
      `http://localhost:${port}/events/restaurant:123:orders`,
      '-H',
      'content-type: application/json',
      '-d',
      body,
    ]);
    return JSON.parse(stdout) as { id: string; type: string; payload: Record<string, unknown> };
  };

  it('publishes with the curl, subscribes with last_event_id=0-0, then resumes with exactly what it missed', async () => {
    const created = await curl(BODY);
    expect(created).toMatchObject({ type: 'order.created', payload: { order_id: 'ord_123' } });

    const socket = connect(`ws://localhost:${port}/ws/restaurant:123:orders?last_event_id=0-0`);
    await socket.until((frames) => frames.length === 1, 'the event');
    expect(socket.json()).toEqual([created]);
    const cursor = socket.json().at(-1)?.id as string;
    socket.ws.close();
    await socket.closed;

    // Missed while away:
    const missed = [
      await curl('{"type":"order.confirmed","payload":{"order_id":"ord_123"}}'),
      await curl('{"type":"order.ready","payload":{"order_id":"ord_123","table_id":"t_7"}}'),
    ];
    const resumed = connect(`ws://localhost:${port}/ws/restaurant:123:orders?last_event_id=${cursor}`);
    await resumed.until((frames) => frames.length === 2, 'the missed events');
    const live = await curl('{"type":"order.delivered","payload":{"order_id":"ord_123"}}');
    await resumed.until((frames) => frames.length === 3, 'the live event');
    expect(resumed.json()).toEqual([...missed, live]);
    expect(resumed.json()[1]?.payload).toEqual({ order_id: 'ord_123', table_id: 't_7' });
    resumed.ws.close();
  });

  it('serves the board and refuses what the catalog does not know', async () => {
    const page = await fetch(`http://localhost:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Kitchen board');
    const bundle = await fetch(`http://localhost:${port}/board.js`);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    const refused = await fetch(`http://localhost:${port}/events/restaurant:123:orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type":"order.created","payload":{}}',
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_request' } });
  });
});
