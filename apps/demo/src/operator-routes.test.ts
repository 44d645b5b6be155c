import { ReplayRail } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Demo, startDemo } from './app.js';
import type { DeadLettersView, LineageView, PrinterView, TimelineView } from './operator-api.js';
import { createOperatorRoutes } from './operator-routes.js';
import type { ServiceCalls } from './service-calls.js';
import { newTraceId, newTraceparent } from './traceparent.js';

// The operator's routes on the memory store, where the printer runs in the demo's
// process: input checks, the timeline, an order's causation graph, a kill mid-ticket
// and its reclaim, a poison order's dead letter and its redrive, marked on its graph.
describe("the operator's routes, on the memory store", () => {
  let demo: Demo;
  let base: string;
  beforeAll(async () => {
    // Printing takes long enough to kill a printer mid-ticket; a dead printer's
    // ticket is claimed after 300 ms.
    demo = await startDemo({ port: 0, host: '127.0.0.1', printer: { printMs: 1_000, claimIdleMs: 300 } });
    base = `http://127.0.0.1:${demo.port}`;
  });
  afterAll(async () => {
    await demo?.close();
  });

  const get = async <T>(path: string) => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, body: (await response.json()) as T };
  };
  const post = async (path: string, body?: string) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  // A millisecond apart: two channels' cursors of the same millisecond have no order of their own.
  const publish = async (channel: string, body: object, traceparent?: string) => {
    await new Promise((resolve) => setTimeout(resolve, 2));
    const response = await fetch(`${base}/events/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(traceparent && { traceparent }) },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; event_id: string };
  };
  const lineageOf = async (orderId: string) => get<LineageView>(`/operator/orders/${orderId}/lineage`);
  const tickets = async (orderId: string) => {
    const { body } = await get<TimelineView>(`/operator/orders/${orderId}/timeline`);
    return body.events.filter((event) => event.type === 'kitchen.ticket.created');
  };

  it('answers bad input with a 400 naming it, and goes on serving', async () => {
    const refused: [string, Promise<{ status: number; body: unknown }>, string][] = [
      ['an order_id too long', get(`/operator/orders/${'x'.repeat(65)}/timeline`), 'orderId'],
      ['a restaurant that is no channel segment', get('/operator/orders/ord_1/timeline?restaurant=a:b'), 'restaurant'],
      ['a restaurant with a slash', get('/operator/orders/ord_1/timeline?restaurant=a%2Fb'), 'restaurant'],
      ["a lineage's order_id too long", get(`/operator/orders/${'x'.repeat(65)}/lineage`), 'orderId'],
      ["a lineage's restaurant", get('/operator/orders/ord_1/lineage?restaurant=a:b'), 'restaurant'],
      ['no body', post('/operator/dead-letters/redrive'), 'not JSON'],
      ['a body that is not JSON', post('/operator/dead-letters/redrive', '{"ids":'), 'not JSON'],
      ['a body too large', post('/operator/dead-letters/redrive', `"${'x'.repeat(20_000)}"`), 'larger than'],
      ['neither ids nor all', post('/operator/dead-letters/redrive', '{}'), '{"ids"'],
      ['all: false', post('/operator/dead-letters/redrive', '{"all":false}'), '{"ids"'],
      ['ids and all', post('/operator/dead-letters/redrive', '{"ids":["1-0"],"all":true}'), '{"ids"'],
      ['no ids', post('/operator/dead-letters/redrive', '{"ids":[]}'), 'body.ids'],
      ['an ID that is no cursor', post('/operator/dead-letters/redrive', '{"ids":["abc"]}'), 'body.ids.0'],
      ['a cursor out of range', post('/operator/dead-letters/redrive', '{"ids":["99999999999999999999-0"]}'), '64-bit'],
      ['a JSON array', post('/operator/dead-letters/redrive', '[1]'), '{"ids"'],
    ];
    for (const [what, answer, says] of refused) {
      const { status, body } = await answer;
      expect(status, what).toBe(400);
      expect(body, what).toMatchObject({
        error: { code: expect.stringMatching(/^invalid_/), message: expect.stringContaining(says) },
      });
    }
    // An order nobody knows has an empty timeline; the server still answers.
    const unknown = await get<TimelineView>('/operator/orders/%F0%9F%8E%82/timeline?restaurant=42');
    expect(unknown).toMatchObject({ status: 200, body: { order_id: '🎂', restaurant: '42', events: [] } });
    expect((await get<PrinterView>('/operator/printer')).status).toBe(200);
  });

  it("shows an order's events across the restaurant's channels, in cursor order, with correlation and trace IDs", async () => {
    // The order's trace comes as a request header; the server's publish continues it.
    const traceId = newTraceId();
    const metadata = { correlation_id: 'req_tl' };
    const actor = { type: 'waiter', id: 'usr_1' };
    const posted = [
      await publish(
        'restaurant:123:orders',
        { type: 'order.created', payload: { order_id: 'ord_tl' }, actor, metadata },
        newTraceparent(traceId),
      ),
      await publish(
        'restaurant:123:kitchen',
        { type: 'order.preparing', payload: { order_id: 'ord_tl' }, metadata },
        newTraceparent(traceId),
      ),
    ];
    await publish('restaurant:123:kitchen', { type: 'order.preparing', payload: { order_id: 'ord_other' } });
    posted.push(await publish('restaurant:123:orders', { type: 'order.ready', payload: { order_id: 'ord_tl' } }));
    const { status, body } = await get<TimelineView>('/operator/orders/ord_tl/timeline');
    expect(status).toBe(200);
    expect(body.channels).toEqual(['restaurant:123:orders', 'restaurant:123:kitchen']);
    expect(body.events.map((event) => event.id)).toEqual(posted.map((event) => event.id));
    expect(body.events[0]).toMatchObject({ type: 'order.created', actor, correlation_id: 'req_tl', trace_id: traceId });
    expect(body.events[1]).toMatchObject({ channel: 'restaurant:123:kitchen', trace_id: traceId });
    // Published without a trace of its own: the server's publish started a new one.
    expect(body.events[2]).toMatchObject({ correlation_id: null, trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(body.events[2]?.trace_id).not.toBe(traceId);
  });

  it("answers an order's causation graph: created, confirmed, and the ticket the printer published", async () => {
    const metadata = { correlation_id: 'req_lineage' };
    const created = await publish('restaurant:123:orders', {
      type: 'order.created',
      payload: { order_id: 'ord_lineage' },
      metadata,
      event_id: 'ord_lineage.order.created',
    });
    // Over HTTP the confirmation names its cause by hand; the printer's context.publish names the ticket's.
    const confirmed = await publish('restaurant:123:orders', {
      type: 'order.confirmed',
      payload: { order_id: 'ord_lineage' },
      metadata: { ...metadata, causation_id: created.event_id },
      event_id: 'ord_lineage.order.confirmed',
    });
    await vi.waitFor(async () => expect(await tickets('ord_lineage')).toHaveLength(1), { timeout: 10_000 });
    const [ticket] = await tickets('ord_lineage');
    expect(ticket?.metadata).toMatchObject({ correlation_id: 'req_lineage', causation_id: confirmed.event_id });

    const { status, body } = await lineageOf('ord_lineage');
    expect(status).toBe(200);
    expect(body).toMatchObject({ order_id: 'ord_lineage', restaurant: '123', correlation_id: 'req_lineage' });
    expect(body.lineage.nodes.map((node) => [node.event.type, node.event.channel, node.via, node.marks])).toEqual([
      ['order.created', 'restaurant:123:orders', 'index', []],
      ['order.confirmed', 'restaurant:123:orders', 'index', []],
      ['kitchen.ticket.created', 'restaurant:123:kitchen', 'index', []],
    ]);
    expect(body.lineage.edges).toEqual([
      { cause: 'ord_lineage.order.created', effect: 'ord_lineage.order.confirmed' },
      { cause: 'ord_lineage.order.confirmed', effect: ticket?.event_id },
    ]);
    expect(body.lineage.truncated).toBe(false);
    // The flowchart the page draws: a node per event, an arrow per edge.
    expect(body.mermaid).toMatch(/^flowchart TD\n {2}n0\["order\.created<br\/>restaurant:123:orders<br\/>/);
    expect(body.mermaid).toContain('n1["order.confirmed<br/>');
    expect(body.mermaid).toContain('n2["kitchen.ticket.created<br/>restaurant:123:kitchen<br/>');
    expect(body.mermaid.split('\n').filter((line) => line.includes('-->'))).toEqual(['  n0 --> n1', '  n1 --> n2']);
  });

  it('finds the correlation of an order posted without one in its ticket, and 404s an order with none', async () => {
    // Confirmed with no correlation: its ticket starts one, named by the confirmation's event_id.
    const confirmed = await publish('restaurant:123:orders', {
      type: 'order.confirmed',
      payload: { order_id: 'ord_rootless' },
    });
    await vi.waitFor(async () => expect(await tickets('ord_rootless')).toHaveLength(1), { timeout: 10_000 });
    const { status, body } = await lineageOf('ord_rootless');
    expect(status).toBe(200);
    expect(body.correlation_id).toBe(confirmed.event_id);
    // The confirmation is not in the correlation's index: the lineage reads it as the ticket's cause.
    expect(body.lineage.nodes.map((node) => [node.event.type, node.via])).toEqual([
      ['order.confirmed', 'cause'],
      ['kitchen.ticket.created', 'index'],
    ]);
    expect(body.lineage.edges).toEqual([
      { cause: confirmed.event_id, effect: (await tickets('ord_rootless'))[0]?.event_id },
    ]);

    await publish('restaurant:123:orders', { type: 'order.created', payload: { order_id: 'ord_uncorrelated' } });
    expect(await lineageOf('ord_uncorrelated')).toMatchObject({
      status: 404,
      body: { error: { code: 'correlation_not_found', message: expect.stringContaining('ord_uncorrelated') } },
    });
    expect(await get('/operator/orders/ord_nobody/lineage?restaurant=42')).toMatchObject({
      status: 404,
      body: { error: { code: 'order_not_found', message: 'restaurant 42 has no order ord_nobody' } },
    });
  });

  it('kills the printer mid-ticket; the next printer claims the ticket and prints it on attempt 2', async () => {
    const printer = async () => (await get<PrinterView>('/operator/printer')).body;
    await vi.waitFor(async () => expect((await printer()).printer?.state).toBe('running'), { timeout: 10_000 });
    const before = (await printer()).printer?.name;
    await publish('restaurant:123:orders', { type: 'order.confirmed', payload: { order_id: 'ord_kill' } });
    await vi.waitFor(async () => expect((await printer()).printer?.printing?.order_id).toBe('ord_kill'), {
      timeout: 10_000,
    });
    const killed = await post('/operator/printer/kill');
    expect(killed.status).toBe(200);
    const after = killed.body.printer as PrinterView['printer'];
    expect(after?.name).not.toBe(before);
    expect(after?.killed[0]).toMatchObject({ name: before, printing: { order_id: 'ord_kill', attempt: 1 } });
    await vi.waitFor(async () => expect(await tickets('ord_kill')).toHaveLength(1), { timeout: 10_000 });
    const [ticket] = await tickets('ord_kill');
    expect(ticket?.payload).toMatchObject({ printed_by: after?.name, attempt: 2 });
    // The killed printer holds nothing any more.
    const group = (await printer()).consumer_group;
    expect(group?.consumers.find((consumer) => consumer.name === before)?.pending ?? 0).toBe(0);
  });

  it('puts a poison order in the dead letters; a redrive takes it out, and it fails again', async () => {
    const deadLetters = async () => (await get<DeadLettersView>('/operator/dead-letters')).body.dead_letters;
    const poison = await publish('restaurant:123:orders', {
      type: 'order.confirmed',
      payload: { order_id: 'ord_poison', items: [{ name: 'Œufs en meurette', qty: 1 }] },
      metadata: { correlation_id: 'req_poison' },
    });
    // The marks the printer's consumer left on the order's graph, kind by kind.
    const marks = async () => (await lineageOf('ord_poison')).body.lineage.nodes.map((node) => node.marks);
    await vi.waitFor(async () => expect(await deadLetters()).toHaveLength(1), { timeout: 15_000 });
    const [dead] = await deadLetters();
    expect(dead).toMatchObject({
      origin: poison.id,
      order_id: 'ord_poison',
      type: 'order.confirmed',
      attempts: 3,
      error_name: 'UnprintableOrderError',
    });
    expect((await get<PrinterView>('/operator/printer')).body.consumer_group?.deadLetters).toBe(1);
    await vi.waitFor(async () =>
      expect(await marks()).toEqual([
        [
          {
            kind: 'dead-lettered',
            group: 'ticket-printer',
            at: expect.any(String),
            reason: expect.stringContaining('cannot print "Œufs en meurette"'),
          },
        ],
      ]),
    );
    expect(await post('/operator/dead-letters/redrive', JSON.stringify({ ids: [dead?.id] }))).toEqual({
      status: 200,
      body: { redriven: 1 },
    });
    // Back in the dead letters after 3 more attempts, as a new dead letter.
    await vi.waitFor(
      async () => {
        const again = await deadLetters();
        expect(again).toHaveLength(1);
        expect(again[0]?.id).not.toBe(dead?.id);
        expect(again[0]).toMatchObject({ origin: poison.id, attempts: 3 });
      },
      { timeout: 15_000 },
    );
    // Its graph says what happened to it: dead-lettered, redriven, dead-lettered again.
    await vi.waitFor(async () => {
      const [confirmed] = await marks();
      expect(confirmed?.map((mark) => mark.kind)).toEqual(['dead-lettered', 'redriven', 'dead-lettered']);
    });
    expect((await lineageOf('ord_poison')).body.mermaid).toContain('redriven by ticket-printer');
    expect(await post('/operator/dead-letters/redrive', '{"all":true}')).toEqual({
      status: 200,
      body: { redriven: 1 },
    });
    expect(await tickets('ord_poison')).toEqual([]);
  });
});

describe("the operator's routes without a printer", () => {
  it('says so instead of killing anything', async () => {
    const demo = await startDemo({ port: 0, host: '127.0.0.1', printer: false });
    try {
      const base = `http://127.0.0.1:${demo.port}`;
      const status = await fetch(`${base}/operator/printer`);
      expect(await status.json()).toMatchObject({ printer: null, consumer_group: null });
      const kill = await fetch(`${base}/operator/printer/kill`, { method: 'POST' });
      expect(kill.status).toBe(400);
      expect(await kill.json()).toMatchObject({ error: { code: 'invalid_request' } });
      const deadLetters = await fetch(`${base}/operator/dead-letters`);
      expect(await deadLetters.json()).toMatchObject({ dead_letters: [] });
    } finally {
      await demo.close();
    }
  });
});

describe('the lineage route on a rail that keeps no lineage index', () => {
  it('says the correlation is not in the index, rather than drawing an empty graph', async () => {
    // As on a demo's Redis from before the index: the order and its correlation are there, its index is not.
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const routes = createOperatorRoutes({ rail, restaurant: '1', calls: {} as ServiceCalls });
    await rail.publish({
      channel: 'restaurant:1:orders',
      type: 'order.created',
      payload: { order_id: 'ord_old' },
      metadata: { correlation_id: 'req_old' },
    });
    const response = await routes.request('/operator/orders/ord_old/lineage');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'lineage_not_found', message: 'no event of correlation req_old is in the lineage index' },
    });
    await rail.close();
  });
});
