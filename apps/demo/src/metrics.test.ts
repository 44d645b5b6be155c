import { connect } from '@replayrail/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Demo, startDemo } from './app.js';

// GET /metrics on the memory store: the Prometheus text format, with the figures of
// what just happened (a socket open, publishes, the printer's group, a call to the kitchen).
let demo: Demo;
let base: string;
beforeAll(async () => {
  demo = await startDemo({ port: 0, host: '127.0.0.1', printer: { printMs: 10 } });
  base = `http://127.0.0.1:${demo.port}`;
});
afterAll(async () => {
  await demo.close();
});

// The value of the sample line `name{...}` whose labels include every one of `labels`.
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

it('serves the metrics in the Prometheus text format, with what the demo did', async () => {
  const socket = connect(`${base.replace('http', 'ws')}/ws/restaurant:7:orders?from=latest`);
  await socket.opened;
  for (const type of ['order.created', 'order.confirmed']) {
    const response = await fetch(`${base}/events/restaurant:7:orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type, payload: { order_id: 'ord_metrics' } }),
    });
    expect(response.status).toBe(201);
  }
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  expect(text).toMatch(/^# HELP replayrail_connections Open connections/m);
  // Whose metrics they are, once per scrape.
  expect(text).toMatch(/^target_info\{[^}]*service_name="replayrail-demo"/m);
  expect(
    sample(text, 'replayrail_connections', { replayrail_transport: 'websocket', replayrail_endpoint: 'channel' }),
  ).toBe(1);
  const template = { messaging_destination_template: 'restaurant:{id}:orders' };
  expect(sample(text, 'messaging_client_sent_messages_total', template)).toBe(2);
  expect(sample(text, 'replayrail_events_delivered_total', template)).toBe(2);
  expect(sample(text, 'messaging_client_operation_duration_count', template)).toBe(2);
  socket.ws.close();
});

it("records the server's calls to its services, and the services' side of them (both in this process on the memory store)", async () => {
  const response = await fetch(`${base}/events/restaurant:7:orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'order.created',
      payload: { order_id: 'ord_rpc', items: [{ name: 'Risotto', qty: 1 }] },
    }),
  });
  expect(response.status).toBe(201);
  expect((await fetch(`${base}/orders/ord_rpc/estimate?restaurant=7`)).status).toBe(200);
  const text = await (await fetch(`${base}/metrics`)).text();
  const estimate = { rpc_system: 'jsonrpc', rpc_service: 'kitchen', rpc_method: 'estimate' };
  expect(sample(text, 'rpc_client_call_duration_count', estimate)).toBe(1);
  expect(sample(text, 'rpc_server_call_duration_count', estimate)).toBe(1);
});
