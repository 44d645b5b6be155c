import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../types.js';
import type { Lineage } from './lineage.js';
import { toMermaid } from './mermaid.js';

const event = (id: string, event_id: string, channel: string, type: string, metadata = {}): StoredEvent => ({
  id,
  event_id,
  channel,
  type,
  payload: {},
  actor: null,
  metadata: { correlation_id: 'req_1', ...metadata },
  created_at: `2026-06-29T12:00:0${id.slice(12, 13)}.${id.slice(10, 13)}000Z`,
});

// An order's workflow: created → confirmed → ticket printed after a dead letter and a
// redrive, a step whose cause was trimmed, and one whose cause is not known.
const KNOWN: Lineage = {
  correlationId: 'req_1',
  nodes: [
    { event: event('1782734400101-0', 'e1', 'restaurant:1:orders', 'order.created'), via: 'cause', marks: [] },
    {
      event: event('1782734401202-0', 'e2', 'restaurant:1:orders', 'order.confirmed', { causation_id: 'e1' }),
      via: 'index',
      marks: [
        { kind: 'dead-lettered', group: 'ticket-printer', at: '2026-06-29T12:00:02.000Z', reason: 'paper "jam" <A4>' },
        { kind: 'redriven', group: 'ticket-printer', at: '2026-06-29T12:00:03.500Z' },
      ],
    },
    {
      event: event('1782734403303-0', 'e3', 'restaurant:1:kitchen', 'kitchen.ticket.created', { causation_id: 'e2' }),
      via: 'index',
      marks: [],
    },
    {
      event: event('1782734404404-1', 'e4', 'restaurant:1:kitchen', 'order.ready', { causation_id: 'gone' }),
      via: 'index',
      marks: [],
    },
    {
      event: event('1782734405505-0', 'e5', 'restaurant:1:orders', 'order.delivered', { causation_id: 'py-1' }),
      via: 'index',
      marks: [],
    },
  ],
  edges: [
    { cause: 'e1', effect: 'e2' },
    { cause: 'e2', effect: 'e3' },
    { cause: 'gone', effect: 'e4', dangling: 'trimmed', causeAt: { channel: 'restaurant:1:kitchen', id: '1-0' } },
    { cause: 'py-1', effect: 'e5', dangling: 'unknown' },
  ],
  truncated: false,
};

describe('toMermaid', () => {
  it('draws a known graph exactly as the checked-in file', () => {
    const expected = readFileSync(join(import.meta.dirname, 'fixtures', 'known-graph.mmd'), 'utf8');
    expect(toMermaid(KNOWN)).toBe(expected);
  });

  it('draws left to right when asked, and an empty lineage as a bare flowchart', () => {
    expect(toMermaid(KNOWN, { direction: 'LR' }).split('\n')[0]).toBe('flowchart LR');
    expect(toMermaid({ correlationId: 'x', nodes: [], edges: [], truncated: false })).toBe('flowchart TD\n');
  });
});
