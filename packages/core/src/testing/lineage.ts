import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Consumer } from '../consumer/consumer.js';
import type { ReplayRail } from '../rail.js';
import type { StoredEvent } from '../types.js';
import { FAST, until } from './consumer.js';
import { type ConformanceContext, nextMillisecond } from './context.js';

// The index is opt-in: every rail of this section turns it on.
const INDEXED = { index: true } as const;

/** Options of the lineage section. */
export interface LineageTestOptions {
  /** Whether the store has consumer groups: the section's consumer test needs them. */
  readonly consumerGroups: boolean;
  readonly propertyRuns: number;
}

/** The lineage section of the conformance suite (docs/lineage.md): causation, the index, its reads. */
export function lineageTests(ctx: () => ConformanceContext, options: LineageTestOptions): void {
  describe('lineage: causation and the index per correlation', () => {
    it.runIf(options.consumerGroups)(
      'follows a correlation over 3 channels, 2 consumers and a redrive, edges and marks exact',
      async () => {
        const rail = ctx().rail({ maxStreamLength: null, lineage: INDEXED });
        const consumers: Consumer[] = [];
        let jammed = false;
        const ticket = new Promise<StoredEvent>((resolve) => {
          consumers.push(
            rail.consume({
              ...FAST,
              channel: 'orders',
              group: 'kitchen',
              from: 'earliest',
              handler: async (event, context) => {
                if (event.type === 'order.created') {
                  await context.publish({ channel: 'kitchen', type: 'order.accepted', payload: event.payload });
                }
              },
            }),
            rail.consume({
              ...FAST,
              channel: 'kitchen',
              group: 'printer',
              from: 'earliest',
              handler: async (event, context) => {
                if (!context.redriven) {
                  jammed = true;
                  context.deadLetter('paper jam');
                  return;
                }
                resolve(await context.publish({ channel: 'tickets', type: 'ticket.printed', payload: event.payload }));
              },
            }),
          );
        });
        try {
          for (const consumer of consumers) await consumer.start();
          const root = await rail.publish({
            channel: 'orders',
            type: 'order.created',
            payload: { order_id: 'o1' },
            metadata: { correlation_id: 'wf-1' },
          });
          // Another workflow at the same time: none of it is in wf-1's lineage.
          await rail.publish({
            channel: 'orders',
            type: 'order.created',
            payload: { order_id: 'o2' },
            metadata: { correlation_id: 'wf-2' },
          });
          await until(() => jammed, 'the dead letter');
          const printer = rail.group('kitchen', 'printer');
          // Both wf-1 and wf-2 were accepted, then dead-lettered; redrive wf-1's only.
          await until(async () => (await printer.deadLetters()).length === 2, 'both dead letters');
          const letters = await printer.deadLetters();
          const mine = letters.find((letter) => letter.event?.metadata.correlation_id === 'wf-1');
          await printer.redrive([mine?.id as string]);
          const printed = await ticket;
          const lineage = await rail.lineage('wf-1');
          expect(lineage.nodes.map(({ event }) => [event.channel, event.type, event.metadata.correlation_id])).toEqual([
            ['orders', 'order.created', 'wf-1'],
            ['kitchen', 'order.accepted', 'wf-1'],
            ['tickets', 'ticket.printed', 'wf-1'],
          ]);
          const accepted = lineage.nodes[1]?.event as StoredEvent;
          expect(lineage.edges).toEqual([
            { cause: root.event_id, effect: accepted.event_id },
            { cause: accepted.event_id, effect: printed.event_id },
          ]);
          expect(printed.metadata.causation_id).toBe(accepted.event_id);
          await until(async () => (await rail.lineage('wf-1')).nodes[1]?.marks.length === 2, 'both marks');
          const marks = (await rail.lineage('wf-1')).nodes[1]?.marks ?? [];
          expect(marks.map(({ kind, group, reason }) => ({ kind, group, reason }))).toEqual([
            { kind: 'dead-lettered', group: 'printer', reason: 'paper jam' },
            { kind: 'redriven', group: 'printer', reason: undefined },
          ]);
          expect(lineage.nodes.every((node) => node.via === 'index')).toBe(true);
          expect(lineage.truncated).toBe(false);
        } finally {
          await Promise.all(consumers.map((consumer) => consumer.stop({ graceMs: 1_000 })));
        }
      },
    );

    it.runIf(options.consumerGroups)(
      'refuses context.publish on a raw consumer: its entries are not events',
      async () => {
        const rail = ctx().rail({ lineage: INDEXED });
        await rail.publish({ channel: 'raw', type: 't', payload: {} });
        let refused: unknown;
        const consumer = rail.consume({
          ...FAST,
          raw: true,
          channel: 'raw',
          group: 'g',
          from: 'earliest',
          handler: async (_entry, context) => {
            refused = await context.publish({ channel: 'x', type: 't', payload: {} }).catch((error: unknown) => error);
          },
        });
        await consumer.start();
        try {
          await until(() => refused !== undefined, 'the handler');
          expect(refused).toMatchObject({ code: 'invalid_request' });
          expect((await rail.replay('x', { after: '0-0' })).events).toEqual([]);
        } finally {
          await consumer.stop({ graceMs: 1_000 });
        }
      },
    );

    it('shows a root published without the correlation as the cause it was handed over as', async () => {
      const rail = ctx().rail({ lineage: INDEXED });
      const root = await rail.publish({ channel: 'a', type: 'root', payload: {} });
      const child = await rail.publish({ channel: 'b', type: 'child', payload: {}, causedBy: root });
      expect(child.metadata).toEqual({ correlation_id: root.event_id, causation_id: root.event_id });
      const lineage = await rail.lineage(root.event_id);
      expect(lineage.nodes.map(({ event, via }) => [event.type, via])).toEqual([
        ['root', 'cause'],
        ['child', 'index'],
      ]);
      expect(lineage.edges).toEqual([{ cause: root.event_id, effect: child.event_id }]);
    });

    it('keeps an edge to a trimmed cause, dangling, and says where it was; and one to an unknown cause', async () => {
      const { rail: makeRail, harness, stream } = ctx();
      const rail = makeRail({ maxStreamLength: null, lineage: INDEXED });
      const root = await rail.publish({ channel: 'a', type: 'root', payload: {}, metadata: { correlation_id: 'w' } });
      const child = await rail.publish({ channel: 'b', type: 'child', payload: {}, causedBy: root });
      await rail.publish({ channel: 'a', type: 'later', payload: {} });
      await harness.trim(stream('a'), 1);
      const orphan = await rail.publish({
        channel: 'b',
        type: 'orphan',
        payload: {},
        metadata: { correlation_id: 'w', causation_id: 'written-elsewhere' },
      });
      const lineage = await rail.lineage('w');
      expect(lineage.nodes.map(({ event }) => event.type)).toEqual(['child', 'orphan']);
      expect(lineage.edges).toEqual([
        { cause: root.event_id, effect: child.event_id, dangling: 'trimmed', causeAt: { channel: 'a', id: root.id } },
        { cause: 'written-elsewhere', effect: orphan.event_id, dangling: 'unknown' },
      ]);
    });

    it('returns the oldest `limit` events and says it left some out; an unknown correlation is empty', async () => {
      const rail = ctx().rail({ lineage: INDEXED });
      let cause: StoredEvent = await rail.publish({
        channel: 'a',
        type: 'step',
        payload: { n: 0 },
        metadata: { correlation_id: 'long' },
      });
      const all = [cause];
      for (let n = 1; n < 6; n++) {
        await nextMillisecond(cause); // across two channels, time orders them
        cause = await rail.publish({ channel: n % 2 ? 'b' : 'a', type: 'step', payload: { n }, causedBy: cause });
        all.push(cause);
      }
      const lineage = await rail.lineage('long', { limit: 4 });
      expect(lineage.nodes.map(({ event }) => event.payload.n)).toEqual([0, 1, 2, 3]);
      expect(lineage.edges).toHaveLength(3);
      expect(lineage.truncated).toBe(true);
      expect((await rail.lineage('long')).nodes).toHaveLength(6);
      expect(await rail.lineage('never-used')).toEqual({
        correlationId: 'never-used',
        nodes: [],
        edges: [],
        truncated: false,
      });
    });

    it('indexes an idempotent publish once; refuses conflicting causation and bad input, storing nothing', async () => {
      const rail = ctx().rail({ lineage: INDEXED });
      const root = await rail.publish({ channel: 'a', type: 'root', payload: {}, metadata: { correlation_id: 'w' } });
      const input = { channel: 'b', type: 'child', payload: {}, causedBy: root, eventId: 'child-1' };
      const first = await rail.publish(input);
      expect(await rail.publish(input)).toEqual(first);
      expect((await rail.lineage('w')).nodes).toHaveLength(2);
      await expect(
        rail.publish({ channel: 'b', type: 'x', payload: {}, causedBy: root, metadata: { correlation_id: 'other' } }),
      ).rejects.toMatchObject({ code: 'invalid_request' });
      await expect(
        rail.publish({ channel: 'b', type: 'x', payload: {}, causedBy: {} as StoredEvent }),
      ).rejects.toMatchObject({ code: 'invalid_request' });
      for (const bad of ['', 'x'.repeat(129), 42 as unknown as string]) {
        await expect(rail.lineage(bad)).rejects.toMatchObject({ code: 'invalid_request' });
      }
      await expect(rail.lineage('w', { limit: 0 })).rejects.toMatchObject({ code: 'invalid_request' });
      expect((await rail.replay('b', { after: '0-0' })).events).toHaveLength(1);
    });

    it('indexes nothing by default (lineage.index false), and nothing without a correlation', async () => {
      const { rail: makeRail } = ctx();
      const off = makeRail(); // the default
      await off.publish({ channel: 'a', type: 't', payload: {}, metadata: { correlation_id: 'off' } });
      expect((await off.lineage('off')).nodes).toEqual([]);
      const rail = makeRail({ lineage: INDEXED });
      const plain = await rail.publish({ channel: 'a', type: 't', payload: {} });
      expect((await rail.lineage(plain.event_id)).nodes).toEqual([]);
    });

    it('rebuildLineage indexes what was written around the rail, once, in cursor order, its newest maxEntries', async () => {
      const context = ctx();
      const rail = context.rail({ maxStreamLength: null, lineage: { index: true, maxEntries: 4 } });
      // What the Python library writes: the stream only, the causation in the metadata.
      let n = 0;
      const raw = (channel: string, metadata: Record<string, string>) =>
        context.harness.appendRaw(context.stream(channel), {
          event_id: `py-${++n}`,
          channel,
          type: 'py',
          payload: JSON.stringify({ n }),
          actor: 'null',
          metadata: JSON.stringify(metadata),
          created_at: '2026-06-29T12:00:00Z',
        });
      const root = await rail.publish({
        channel: 'orders',
        type: 'root',
        payload: {},
        metadata: { correlation_id: 'w' },
      });
      await raw('orders', { correlation_id: 'w', causation_id: root.event_id }); // py-1
      await raw('orders', {}); // py-2: no correlation
      await raw('orders', { correlation_id: 'other' }); // py-3
      await raw('kitchen', { correlation_id: 'w', causation_id: 'py-1' }); // py-4
      const last = await rail.publish({ channel: 'orders', type: 'paid', payload: {}, causedBy: root });
      const before = await rail.lineage('w');
      expect(before.nodes.map(({ event }) => event.event_id)).toEqual([root.event_id, last.event_id]);

      expect(await rail.rebuildLineage('orders', { pageSize: 2 })).toEqual({ events: 5, indexed: 2, correlations: 2 });
      expect(await rail.rebuildLineage('kitchen')).toEqual({ events: 1, indexed: 1, correlations: 1 });
      const after = await rail.lineage('w');
      expect(after.nodes.map(({ event }) => event.event_id)).toEqual([root.event_id, 'py-1', 'py-4', last.event_id]);
      expect(after.edges.map((edge) => `${edge.cause} ${edge.effect}`).sort()).toEqual(
        [`${root.event_id} py-1`, 'py-1 py-4', `${root.event_id} ${last.event_id}`].sort(),
      );
      expect((await rail.lineage('other')).nodes.map(({ event }) => event.event_id)).toEqual(['py-3']);
      // Again: all there already. And the rail's own entries were not written twice.
      expect(await rail.rebuildLineage('orders')).toEqual({ events: 5, indexed: 0, correlations: 2 });
      expect((await rail.lineage('w')).nodes).toHaveLength(4);

      // More than maxEntries in a channel: the newest four are kept, in cursor order.
      const capped = [await raw('capped', { correlation_id: 'c' })];
      for (let i = 0; i < 2; i++) {
        capped.push(
          (await rail.publish({ channel: 'capped', type: 't', payload: {}, metadata: { correlation_id: 'c' } })).id,
        );
      }
      for (let i = 0; i < 3; i++) capped.push(await raw('capped', { correlation_id: 'c' }));
      expect(await rail.rebuildLineage('capped')).toMatchObject({ events: 6, indexed: 4 });
      expect((await rail.lineage('c')).nodes.map(({ event }) => event.id)).toEqual(capped.slice(-4));
    });

    it('gives every causation edge of random workflows over channels, and no other', async () => {
      const { rail: makeRail } = ctx();
      const rail: ReplayRail = makeRail({ maxStreamLength: null, lineage: INDEXED });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          // Each event: its channel, and the index of an earlier event as its cause (or none).
          fc.array(fc.tuple(fc.nat(2), fc.option(fc.nat(), { nil: undefined })), { minLength: 1, maxLength: 12 }),
          async (steps) => {
            const correlation = `p${run++}`;
            const published: StoredEvent[] = [];
            const expected: string[] = [];
            for (const [channel, parent] of steps) {
              const cause =
                published.length === 0 || parent === undefined ? undefined : published[parent % published.length];
              const event = await rail.publish({
                channel: `c${channel}`,
                type: 't',
                payload: {},
                ...(cause === undefined ? { metadata: { correlation_id: correlation } } : { causedBy: cause }),
              });
              if (cause !== undefined) expected.push(`${cause.event_id} ${event.event_id}`);
              published.push(event);
            }
            const lineage = await rail.lineage(correlation);
            // As sets: two channels' events of one millisecond go by channel name, not by publish order.
            const nodes = lineage.nodes.map(({ event }) => event.event_id);
            expect(nodes.sort()).toEqual(published.map((event) => event.event_id).sort());
            expect(lineage.edges.map((edge) => `${edge.cause} ${edge.effect}`).sort()).toEqual(expected.sort());
          },
        ),
        { numRuns: options.propertyRuns },
      );
    });
  });
}
