import { describe, expect, it } from 'vitest';
import type { EventLocation, LineageRecord } from '../store/lineage-store.js';
import type { StoredEvent } from '../types.js';
import { buildLineage } from './lineage.js';

const event = (id: string, channel: string, event_id: string, causation_id?: string): StoredEvent => ({
  id,
  event_id,
  channel,
  type: 't',
  payload: {},
  actor: null,
  metadata: { correlation_id: 'w', ...(causation_id && { causation_id }) },
  created_at: '2026-06-29T12:00:00.123000Z',
});
const indexed = (e: StoredEvent, cause: EventLocation | null = null): LineageRecord => ({
  kind: 'event',
  channel: e.channel,
  id: e.id,
  event: e,
  cause,
});
const noCauses = async () => [];

describe('buildLineage', () => {
  it('puts an effect after its cause when cursor order cannot tell them apart', async () => {
    // One millisecond, two channels: by cursor and channel name the effect ('a') comes first.
    const cause = event('5-0', 'b', 'cause');
    const effect = event('5-0', 'a', 'effect', 'cause');
    const other = event('4-0', 'c', 'other');
    const lineage = await buildLineage('w', [indexed(effect), indexed(cause), indexed(other)], 10, noCauses);
    expect(lineage.nodes.map(({ event }) => event.event_id)).toEqual(['other', 'cause', 'effect']);
  });

  it('ends a cycle of causes written by hand instead of looping', async () => {
    const a = event('1-0', 'x', 'a', 'b');
    const b = event('2-0', 'x', 'b', 'a');
    const lineage = await buildLineage('w', [indexed(a), indexed(b)], 10, noCauses);
    expect(lineage.nodes.map(({ event }) => event.event_id).sort()).toEqual(['a', 'b']);
    expect(lineage.edges).toHaveLength(2);
  });

  it('reads a trimmed entry as gone, and a cause outside the index from where it was handed over', async () => {
    const root = event('1-0', 'r', 'root');
    const child = event('2-0', 'x', 'child', 'root');
    const lost = event('3-0', 'x', 'lost-child', 'lost');
    const records: LineageRecord[] = [
      indexed(child, { channel: 'r', id: '1-0' }),
      indexed(lost, { channel: 'r', id: '0-5' }),
      { kind: 'mark', channel: 'x', id: '2-0', mark: { kind: 'redriven', group: 'g', at: '2026-06-29T12:00:01Z' } },
    ];
    const asked: string[] = [];
    const lineage = await buildLineage('w', records, 10, async (locations) => {
      asked.push(...locations.map(({ channel, id }) => `${channel} ${id}`));
      return locations.map(({ id }) => (id === '1-0' ? root : null));
    });
    expect(asked.sort()).toEqual(['r 0-5', 'r 1-0']);
    expect(lineage.nodes.map(({ event, via, marks }) => [event.event_id, via, marks.length])).toEqual([
      ['root', 'cause', 0],
      ['child', 'index', 1],
      ['lost-child', 'index', 0],
    ]);
    expect(lineage.edges).toEqual([
      { cause: 'root', effect: 'child' },
      { cause: 'lost', effect: 'lost-child', dangling: 'trimmed', causeAt: { channel: 'r', id: '0-5' } },
    ]);
  });
});
