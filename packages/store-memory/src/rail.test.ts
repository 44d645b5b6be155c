import { InvalidRequestError, ReplayRail } from '@replayrail/core';
import { InvalidCreatedAtError, InvalidCursorError } from '@replayrail/core/errors';
import { parseStoredEvent } from '@replayrail/core/schema';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

describe('ReplayRail on the memory store', () => {
  it('prepares an outbox event that later changes to the input cannot alter', () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const payload = { items: ['a'] };
    const prepared = rail.prepareEvent({ channel: 'c', type: 't', payload, createdAt: '2026-06-29T14:00:00+02:00' });
    payload.items.push('b');
    expect(prepared.payload).toEqual({ items: ['a'] });
    expect(prepared.created_at).toBe('2026-06-29T12:00:00Z');
    expect(prepared.event_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects malformed calls with typed errors', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    await expect(rail.publish(null as never)).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(rail.publishEvent(undefined as never)).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(rail.publish({ channel: 'c', type: 't', payload: {}, createdAt: 'soon' })).rejects.toBeInstanceOf(
      InvalidCreatedAtError,
    );
    await expect(rail.read('c', { after: undefined as never })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('produces envelopes that parse back through the wire schema', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const event = await rail.publish({ channel: 'c', type: 't', payload: { a: 1 }, actor: { id: 'u1' } });
    expect(parseStoredEvent(JSON.stringify(event))).toEqual(event);
    expect(() => parseStoredEvent('{"id":"x"}')).toThrow(InvalidRequestError);
    expect(() => parseStoredEvent('not json')).toThrow(InvalidRequestError);
  });
});
