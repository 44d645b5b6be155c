import fc from 'fast-check';
import { expect } from 'vitest';
import type { DurableAppendResult, ProducerClaim } from '../store/durable-stream-store.js';
import type { ConformanceContext } from './context.js';
import { appendOf, claim, closeOf, createOf, dataOf, durableIt, readAll, verdict } from './durable-fixtures.js';

/** Options of the idempotent-producer tests. */
export interface DurableProducerTestOptions {
  readonly propertyRuns: number;
}

// Each kind of answer without its `info` (Omit of each member: Omit of a union keeps only common fields).
type Expected =
  Exclude<DurableAppendResult, { kind: 'not-found' }> extends infer Result
    ? Result extends unknown
      ? Omit<Result, 'info'>
      : never
    : never;

/**
 * The protocol's producer rules (5.2.1) and closure, written plainly: what a store
 * must answer to each claim on one stream, and the messages it must then hold.
 */
class ProducerModel {
  readonly #producers = new Map<string, { epoch: number; lastSeq: number }>();
  #closedBy: ProducerClaim | null = null;
  closed = false;
  readonly messages: string[] = [];

  state(id: string): { epoch: number; lastSeq: number } | undefined {
    return this.#producers.get(id);
  }

  append(producer: ProducerClaim, data: string, close: boolean): Expected {
    if (this.closed) {
      const closer = this.#closedBy;
      const same = closer?.id === producer.id && closer.epoch === producer.epoch && closer.seq === producer.seq;
      return same ? { kind: 'duplicate', lastSeq: producer.seq } : { kind: 'closed' };
    }
    const state = this.#producers.get(producer.id);
    const { epoch, seq } = producer;
    let accepted: boolean;
    if (state === undefined) accepted = seq === 0;
    else if (epoch < state.epoch) return { kind: 'stale-epoch', epoch: state.epoch };
    else if (epoch > state.epoch) {
      if (seq !== 0) return { kind: 'epoch-seq' };
      accepted = true;
    } else if (seq <= state.lastSeq) return { kind: 'duplicate', lastSeq: state.lastSeq };
    else accepted = seq === state.lastSeq + 1;
    if (!accepted)
      return { kind: 'sequence-gap', expected: state === undefined ? 0 : state.lastSeq + 1, received: seq };
    this.#producers.set(producer.id, { epoch, lastSeq: seq });
    this.messages.push(data);
    if (close) {
      this.closed = true;
      this.#closedBy = producer;
    }
    return { kind: 'appended' };
  }
}

// What a claim of a step is, given the producer's state: next, a retry, a new epoch
// (from 0, or wrongly not), an old epoch, a gap, or any tuple at all.
type Move = 'next' | 'retry' | 'bump' | 'stale' | 'gap' | 'any';

interface Step {
  readonly producer: number;
  readonly move: Move;
  readonly n: number;
  readonly close: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  producer: fc.nat(2),
  move: fc.constantFrom<Move>('next', 'next', 'next', 'retry', 'bump', 'stale', 'gap', 'any'),
  n: fc.nat(3),
  close: fc.nat(15).map((k) => k === 0),
});

function claimOf(id: string, state: { epoch: number; lastSeq: number } | undefined, move: Move, n: number) {
  const epoch = state?.epoch ?? 0;
  const next = state === undefined ? 0 : state.lastSeq + 1;
  switch (move) {
    case 'next':
      return claim(id, epoch, next);
    case 'retry':
      return claim(id, epoch, n % (next + 1));
    case 'bump':
      return claim(id, epoch + 1, n % 2 === 0 ? 0 : n);
    case 'stale':
      return claim(id, Math.max(0, epoch - 1), n);
    case 'gap':
      return claim(id, epoch, next + 1 + n);
    case 'any':
      return claim(id, n % 3, n);
  }
}

/** Idempotent producers (`Producer-Id`, `-Epoch`, `-Seq`): the protocol's flows, concurrency, and a model. */
export function durableProducerTests(ctx: () => ConformanceContext, options: DurableProducerTestOptions): void {
  durableIt(
    ctx,
    'producer: bootstrap, retry, gap, restart with a new epoch, zombie fenced, epoch-seq',
    async ({ streams, ref }) => {
      const doc = ref('/docs/producer');
      await streams.create(doc, createOf());
      const send = async (id: string, epoch: number, seq: number) =>
        verdict(await streams.append(doc, appendOf([`"${id}${epoch}.${seq}"`], { producer: claim(id, epoch, seq) })));
      expect(await send('p', 0, 0)).toEqual({ kind: 'appended' });
      expect(await send('p', 0, 0)).toEqual({ kind: 'duplicate', lastSeq: 0 });
      expect(await send('p', 0, 1)).toEqual({ kind: 'appended' });
      expect(await send('p', 0, 0)).toEqual({ kind: 'duplicate', lastSeq: 1 });
      expect(await send('p', 0, 3)).toEqual({ kind: 'sequence-gap', expected: 2, received: 3 });
      expect(await send('p', 0, 2)).toEqual({ kind: 'appended' });
      // A restart: a new epoch starts at 0, and the old one is fenced off.
      expect(await send('p', 1, 1)).toEqual({ kind: 'epoch-seq' });
      expect(await send('p', 1, 0)).toEqual({ kind: 'appended' });
      expect(await send('p', 0, 3)).toEqual({ kind: 'stale-epoch', epoch: 1 });
      expect(await send('p', 0, 0)).toEqual({ kind: 'stale-epoch', epoch: 1 });
      expect(await send('p', 1, 1)).toEqual({ kind: 'appended' });
      // Auto-claim: an ephemeral producer told epoch 1 takes epoch 2.
      expect(await send('p', 2, 0)).toEqual({ kind: 'appended' });
      // A producer without state starts at 0, in any epoch.
      expect(await send('q', 0, 1)).toEqual({ kind: 'sequence-gap', expected: 0, received: 1 });
      expect(await send('q', 5, 0)).toEqual({ kind: 'appended' });
      expect(await send('q', 4, 0)).toEqual({ kind: 'stale-epoch', epoch: 5 });
      expect(dataOf(await readAll(streams, doc))).toEqual([
        '"p0.0"',
        '"p0.1"',
        '"p0.2"',
        '"p1.0"',
        '"p1.1"',
        '"p2.0"',
        '"q5.0"',
      ]);
      // Producers are per stream.
      const other = ref('/docs/producer-other');
      await streams.create(other, createOf());
      expect((await streams.append(other, appendOf(['1'], { producer: claim('p', 0, 0) }))).kind).toBe('appended');
    },
  );

  durableIt(
    ctx,
    'producer closes: its retry is a duplicate, any other claim finds the stream closed',
    async ({ streams, ref }) => {
      const doc = ref('/docs/producer-close');
      await streams.create(doc, createOf());
      await streams.append(doc, appendOf(['"a"'], { producer: claim('p', 0, 0) }));
      const closing = appendOf(['"b"'], { producer: claim('p', 0, 1), close: true });
      expect(await streams.append(doc, closing)).toEqual({
        kind: 'appended',
        info: expect.objectContaining({ closed: true }),
      });
      expect(await streams.append(doc, closing)).toEqual({
        kind: 'duplicate',
        info: expect.objectContaining({ closed: true }),
        lastSeq: 1,
      });
      expect(verdict(await streams.append(doc, appendOf(['"b"'], { producer: claim('p', 0, 1) })))).toEqual({
        kind: 'duplicate',
        lastSeq: 1,
      });
      for (const producer of [claim('p', 0, 0), claim('p', 0, 2), claim('p', 1, 0), claim('q', 0, 0), null]) {
        expect((await streams.append(doc, appendOf(['"c"'], { producer }))).kind).toBe('closed');
      }
      expect(dataOf(await readAll(streams, doc))).toEqual(['"a"', '"b"']);

      const closeOnly = ref('/docs/producer-close-only');
      await streams.create(closeOnly, createOf());
      const close = closeOf({ producer: claim('p', 0, 0) });
      expect((await streams.append(closeOnly, close)).kind).toBe('appended');
      expect(verdict(await streams.append(closeOnly, close))).toEqual({ kind: 'duplicate', lastSeq: 0 });
      expect((await streams.append(closeOnly, closeOf({ producer: claim('p', 0, 1) }))).kind).toBe('closed');
    },
  );

  durableIt(
    ctx,
    'takes 20 producers × 20 batches at once, and 10 copies of one claim: every message once, states exact',
    async ({ streams, ref }) => {
      const doc = ref('/docs/crowd');
      await streams.create(doc, createOf());
      const producers = Array.from({ length: 20 }, (_, p) => `producer-${p}`);
      await Promise.all(
        producers.map(async (id) => {
          for (let seq = 0; seq < 20; seq++) {
            const result = await streams.append(doc, appendOf([`"${id}:${seq}"`], { producer: claim(id, 0, seq) }));
            expect(result.kind).toBe('appended');
          }
        }),
      );
      const data = dataOf(await readAll(streams, doc));
      expect(data).toHaveLength(400);
      for (const id of producers) {
        expect(data.filter((text) => text.startsWith(`"${id}:`))).toEqual(
          Array.from({ length: 20 }, (_, seq) => `"${id}:${seq}"`),
        );
      }
      for (const id of producers) {
        const retry = appendOf(['"again"'], { producer: claim(id, 0, 19) });
        expect(verdict(await streams.append(doc, retry))).toEqual({ kind: 'duplicate', lastSeq: 19 });
        const next = appendOf([`"${id}:20"`], { producer: claim(id, 0, 20) });
        expect((await streams.append(doc, next)).kind).toBe('appended');
      }
      const copies = await Promise.all(
        Array.from({ length: 10 }, () => streams.append(doc, appendOf(['"once"'], { producer: claim('one', 0, 0) }))),
      );
      expect(copies.map(({ kind }) => kind).sort()).toEqual(['appended', ...Array(9).fill('duplicate')]);
      expect(dataOf(await readAll(streams, doc)).filter((text) => text === '"once"')).toHaveLength(1);
    },
    30_000,
  );

  durableIt(
    ctx,
    'answers random claims of 3 producers (closes included) as a model of the protocol rules does',
    async ({ streams, ref }) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
          const doc = ref(`/docs/model-${run++}`);
          await streams.create(doc, createOf());
          const model = new ProducerModel();
          for (const [index, { producer, move, n, close }] of steps.entries()) {
            const id = `p${producer}`;
            const claimed = claimOf(id, model.state(id), move, n);
            const data = `"${index}"`;
            const expected = model.append(claimed, data, close);
            const result = await streams.append(doc, appendOf([data], { producer: claimed, close }));
            expect({ claimed, close, ...verdict(result) }).toEqual({ claimed, close, ...expected });
          }
          expect(dataOf(await readAll(streams, doc))).toEqual(model.messages);
          expect((await streams.info(doc))?.closed).toBe(model.closed);
        }),
        { numRuns: options.propertyRuns },
      );
    },
    30_000,
  );
}
