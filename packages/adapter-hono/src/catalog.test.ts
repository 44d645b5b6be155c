import { ReplayRail } from '@replayrail/core';
import { checkAgainstCatalog } from '@replayrail/core/schema';
import { MemoryEventStore } from '@replayrail/store-memory';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type CatalogEvent, defineCatalog } from './index.js';
import { createReplayRailRoutes } from './routes.js';

const catalog = defineCatalog({
  'order.created': z.object({ order_id: z.string(), items: z.array(z.string()).default([]) }),
  'order.ready': z.object({ order_id: z.string() }),
});

describe('the event catalog', () => {
  it('types each event by its type, for beforePublish and for clients', () => {
    type Event = CatalogEvent<typeof catalog>;
    expectTypeOf<Event['type']>().toEqualTypeOf<'order.created' | 'order.ready'>();
    expectTypeOf<Extract<Event, { type: 'order.created' }>['payload']>().toEqualTypeOf<{
      order_id: string;
      items: string[];
    }>();
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    createReplayRailRoutes({
      rail,
      catalog,
      beforePublish: (event) => {
        if (event.type === 'order.created') expectTypeOf(event.payload.items).toEqualTypeOf<string[]>();
        // @ts-expect-error: order.ready has no items
        if (event.type === 'order.ready') void event.payload.items;
        return event;
      },
    });
  });

  it('applies the schema: defaults filled, unknown types and bad payloads refused naming the field', () => {
    expect(checkAgainstCatalog(catalog, 'order.created', { order_id: 'o1' })).toEqual({ order_id: 'o1', items: [] });
    expect(() => checkAgainstCatalog(catalog, 'order.lost', {})).toThrow(
      /type: "order.lost" is not in the event catalog/,
    );
    expect(() => checkAgainstCatalog(catalog, 'toString', {})).toThrow(/not in the event catalog/);
    expect(() => checkAgainstCatalog(catalog, 'order.created', { order_id: 1 })).toThrow(/^payload\.order_id: /);
    expect(() => checkAgainstCatalog(catalog, 'order.created', { order_id: 'o', items: [1] })).toThrow(
      /^payload\.items\.0: /,
    );
  });
});
