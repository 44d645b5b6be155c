import { describe, expect, it } from 'vitest';
import {
  EventTooLargeError,
  InvalidChannelError,
  InvalidCursorError,
  InvalidEventIdError,
  InvalidEventTypeError,
  InvalidRequestError,
  SerializationError,
  StoreError,
} from '../errors.js';
import type { ConformanceContext } from './context.js';

export function badInputTests(ctx: () => ConformanceContext): void {
  describe('bad input changes nothing', () => {
    it('rejects bad names, payloads and sizes with typed errors and writes nothing', async () => {
      const rail = ctx().rail({ limits: { maxEventBytes: 2048 } });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const cases: [object, new (...args: never[]) => Error][] = [
        [{ channel: 'bad*channel', type: 't', payload: {} }, InvalidChannelError],
        [{ channel: 'rr:{tag}', type: 't', payload: {} }, InvalidChannelError],
        [{ channel: 'a/../b', type: 't', payload: {} }, InvalidChannelError],
        [{ channel: 'idempotency:evt', type: 't', payload: {} }, InvalidChannelError],
        [{ channel: 'x'.repeat(10_000), type: 't', payload: {} }, InvalidChannelError],
        [{ channel: 'ok', type: 'bad type', payload: {} }, InvalidEventTypeError],
        [{ channel: 'ok', type: 't', payload: {}, eventId: 'no spaces' }, InvalidEventIdError],
        [{ channel: 'ok', type: 't', payload: { n: Number.NaN } }, SerializationError],
        [{ channel: 'ok', type: 't', payload: { n: 2n ** 64n } }, SerializationError],
        [{ channel: 'ok', type: 't', payload: { gone: undefined } }, SerializationError],
        [{ channel: 'ok', type: 't', payload: cyclic }, SerializationError],
        [{ channel: 'ok', type: 't', payload: [1, 2] }, SerializationError],
        [{ channel: 'ok', type: 't', payload: {}, actor: 'admin' }, SerializationError],
        [{ channel: 'ok', type: 't', payload: { big: 'x'.repeat(4096) } }, EventTooLargeError],
      ];
      for (const [input, ErrorClass] of cases) {
        await expect(rail.publish(input as never)).rejects.toBeInstanceOf(ErrorClass);
      }
      expect(await rail.latestCursor('ok')).toBe('0-0');
    });

    it('rejects bad cursors, limits and positions', async () => {
      const rail = ctx().rail();
      await rail.publish({ channel: 'ok', type: 't', payload: {} });
      for (const after of ['', 'abc', '1-', '-1', '01-0', '1-0-0', '１-0', '18446744073709551616-0', ' 1-0']) {
        await expect(rail.replay('ok', { after })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(rail.read('ok', { after, blockMs: 0 })).rejects.toBeInstanceOf(InvalidCursorError);
      }
      for (const limit of [0, -1, 1.5, 1001, Number.NaN]) {
        await expect(rail.replay('ok', { limit })).rejects.toBeInstanceOf(InvalidRequestError);
      }
      await expect(rail.replay('ok', { after: '0-0', since: new Date() })).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(rail.replay('ok', { since: new Date(Number.NaN) })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(rail.read('ok', { after: '0-0', blockMs: -1 })).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(rail.replay('bad channel')).rejects.toBeInstanceOf(InvalidChannelError);
    });

    it('reads entries in the Python library layout as the same envelope', async () => {
      const { rail: makeRail, harness, stream } = ctx();
      const rail = makeRail();
      const written = {
        event_id: '6f1c2a4e-8a53-4b1e-9f5e-0c1d2e3f4a5b',
        channel: 'restaurant:123:orders',
        type: 'order.created',
        payload: '{"order_id":"ord_123","note":"crème brûlée 🍮"}',
        actor: '{"type":"waiter","id":"usr_123"}',
        metadata: '{"correlation_id":"req_abc123"}',
        created_at: '2026-06-29T12:00:00.123000Z',
      };
      const full = await harness.appendRaw(stream('restaurant:123:orders'), written);
      const sparse = await harness.appendRaw(stream('restaurant:123:orders'), {
        channel: 'restaurant:123:orders',
        type: 'order.ready',
        payload: '{}',
        actor: 'null',
        created_at: '2026-06-29T12:00:01Z',
      });
      const { events } = await rail.replay('restaurant:123:orders');
      expect(events).toEqual([
        {
          id: full,
          event_id: written.event_id,
          channel: written.channel,
          type: written.type,
          payload: { order_id: 'ord_123', note: 'crème brûlée 🍮' },
          actor: { type: 'waiter', id: 'usr_123' },
          metadata: { correlation_id: 'req_abc123' },
          created_at: '2026-06-29T12:00:00.123000Z',
        },
        {
          id: sparse,
          event_id: sparse,
          channel: 'restaurant:123:orders',
          type: 'order.ready',
          payload: {},
          actor: null,
          metadata: {},
          created_at: '2026-06-29T12:00:01Z',
        },
      ]);
    });
  });

  describe('close', () => {
    it('fails every call after close with a StoreError, and closes twice safely', async () => {
      const { harness, rail: makeRail } = ctx();
      const rail = makeRail();
      expect(await rail.healthcheck()).toEqual({ ok: true });
      await rail.close();
      await rail.close();
      await expect(rail.publish({ channel: 'c', type: 't', payload: {} })).rejects.toBeInstanceOf(StoreError);
      await expect(rail.replay('c')).rejects.toBeInstanceOf(StoreError);
      await expect(rail.read('c', { after: '0-0', blockMs: 0 })).rejects.toBeInstanceOf(StoreError);
      await expect(rail.latestCursor('c')).rejects.toBeInstanceOf(StoreError);
      await expect(harness.store.healthcheck()).rejects.toBeInstanceOf(StoreError);
      const report = await rail.healthcheck();
      expect(report.ok).toBe(false);
    });
  });
}
