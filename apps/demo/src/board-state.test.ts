import { type NewEvent, ReplayRail, type StoredEvent } from '@replayrail/core';
import { MemoryEventStore } from '@replayrail/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { demoChannelPolicies, orderStepKey } from './channel-policies.js';
import { applyEvent, type BoardState, type DemoEvent, emptyBoard, resetChannel } from './page/board-state.js';
import { kitchenChannel, ordersChannel } from './printer.js';
import { simulatedOrder } from './simulated-order.js';

// The kitchen board built from the channels' snapshots (the latest event of each
// order's each step, in key order) is the board built from every event as it came,
// and a board whose cursor expired over a weekend comes back to it by resetting each
// channel and taking its snapshot: the demo's keyed channels (channel-policies.ts)
// keep what the board shows.
const DAY = 24 * 3_600_000;
const restaurant = '7';
const channels = [ordersChannel(restaurant), kitchenChannel(restaurant)];

let rail: ReplayRail | undefined;
afterEach(async () => {
  await rail?.close();
  rail = undefined;
});

/** What a board shows: its cards, its tickets and its audit trail. */
const shown = (board: BoardState) => ({ orders: board.orders, tickets: board.tickets, audit: board.audit });

async function apply(board: BoardState, events: AsyncIterable<StoredEvent>): Promise<number> {
  let count = 0;
  for await (const event of events) {
    applyEvent(board, event as DemoEvent);
    count++;
  }
  return count;
}

describe('the board from snapshots', () => {
  it('shows what a board that never closed shows, opened fresh or after its history expired', async () => {
    let now = Date.parse('2026-11-20T18:00:00Z');
    rail = new ReplayRail({
      store: new MemoryEventStore({ now: () => now }),
      config: { channels: demoChannelPolicies() },
    });
    const live = emptyBoard();
    const publishOrders = async (from: number, to: number) => {
      for (let n = from; n < to; n++) {
        const orderId = `ord_${n}`;
        for (const step of simulatedOrder(restaurant, orderId, n)) {
          if (n % 4 === 3 && step.type === 'order.delivered') continue; // some stay on the board mid-way
          applyEvent(live, (await rail?.publish(step)) as DemoEvent);
          // The ticket after the order is ready: the kitchen channel's newest event of that order.
          if (step.type === 'order.ready' && n % 2 === 0) {
            const ticket = await rail?.publish({
              channel: kitchenChannel(restaurant),
              type: 'kitchen.ticket.created',
              payload: { order_id: orderId, printed_by: 'printer-1', attempt: 1 + (n % 3) },
            });
            applyEvent(live, ticket as DemoEvent);
          }
        }
      }
    };

    // Friday: 30 orders, and a board that saw them all, then closed.
    await publishOrders(0, 30);
    const weekend = structuredClone(live);
    const cursors = await Promise.all(
      channels.map(async (channel) => (await rail?.replay(channel, { from: 'latest' }))?.next),
    );
    // Saturday and Sunday: more orders, then on Monday a day of retention trims all of them.
    await publishOrders(30, 60);
    now += 3 * DAY;
    await publishOrders(60, 70);
    expect(live.audit).toHaveLength(200);

    // A board opened now, from the snapshots (one channel after the other).
    const fresh = emptyBoard();
    for (const channel of channels) await apply(fresh, await rail.replayAll(channel, { from: 'snapshot' }));
    expect(shown(fresh)).toEqual(shown(live));

    // The board closed on Friday: both cursors expired; each channel reset, then its snapshot.
    for (const [index, channel] of channels.entries()) {
      await expect(rail.replay(channel, { after: cursors[index] as string })).rejects.toMatchObject({
        code: 'replay_window_expired',
      });
      resetChannel(weekend, channel);
      await apply(weekend, rail.replayAll(channel, { from: 'snapshot' }));
    }
    expect(shown(weekend)).toEqual(shown(live));

    // The kitchen channel alone reset (its cursor expired, the orders channel's did not): the same.
    const halfway = structuredClone(live);
    resetChannel(halfway, kitchenChannel(restaurant));
    expect(Object.values(halfway.orders).some((order) => order.ticket !== undefined)).toBe(false);
    await apply(halfway, rail.replayAll(kitchenChannel(restaurant), { from: 'snapshot' }));
    expect(shown(halfway)).toEqual(shown(live));
  });

  it('keys the state by order and step: no event of an order hides another step of it', () => {
    const event = (type: string, payload: NewEvent['payload']): NewEvent => ({
      channel: 'c',
      type,
      payload,
      event_id: 'e',
      actor: null,
      metadata: {},
      created_at: '2026-11-20T18:00:00Z',
    });
    expect(orderStepKey(event('order.ready', { order_id: 'ord_1' }))).toBe('ord_1 order.ready');
    expect(orderStepKey(event('kitchen.ticket.created', { order_id: 'ord_1' }))).toBe('ord_1 kitchen.ticket.created');
    expect(orderStepKey(event('order.ready', {}))).toBeNull();
    expect(demoChannelPolicies(60_000).map((policy) => [policy.match, policy.maxStreamAge])).toEqual([
      ['restaurant:*:orders', 60_000],
      ['restaurant:*:kitchen', 60_000],
    ]);
  });

  it('notes a ticket that came before its order, and drops what a reset channel alone said', () => {
    const board = emptyBoard();
    const at = (id: string, channel: string, type: string, payload: Record<string, unknown>) =>
      ({
        id,
        channel,
        type,
        payload,
        event_id: id,
        actor: null,
        metadata: {},
        created_at: `2026-11-20T18:00:0${id[0]}.000000Z`,
      }) as DemoEvent;
    const [orders, kitchen] = channels as [string, string];
    applyEvent(board, at('1-0', kitchen, 'kitchen.ticket.created', { order_id: 'ord_1', printed_by: 'p', attempt: 1 }));
    expect(board.orders).toEqual({});
    applyEvent(board, at('2-0', orders, 'order.created', { order_id: 'ord_1', table: 4 }));
    applyEvent(board, at('3-0', kitchen, 'order.preparing', { order_id: 'ord_2' }));
    expect(board.orders.ord_1).toMatchObject({
      step: 'order.created',
      table: 4,
      ticket: { printedBy: 'p', attempt: 1 },
    });
    resetChannel(board, kitchen);
    expect(board.orders).toEqual({
      ord_1: { id: 'ord_1', step: 'order.created', table: 4, updatedAt: '2026-11-20T18:00:02.000000Z' },
    });
    expect(board.tickets).toEqual([]);
    expect(board.audit.map((entry) => entry.id)).toEqual(['2-0']);
    expect(board.cursors[kitchen]).toBeNull();
  });
});
