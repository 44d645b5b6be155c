import { describe, expect, it } from 'vitest';
import type { RawStreams } from '../store/raw-streams.js';
import type { ConformanceContext } from './context.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function raw(context: ConformanceContext): RawStreams {
  const streams = context.harness.store.raw;
  if (streams === undefined) throw new Error('the store has no raw streams (store.raw)');
  return streams;
}

/** The raw-stream section of the conformance suite (docs/architecture.md, "Where each is tested"): `store.raw`. */
export function rawStreamTests(ctx: () => ConformanceContext): void {
  describe('raw streams (store.raw)', () => {
    it('keeps fields as given, in order, and reads them after a cursor, oldest first', async () => {
      const context = ctx();
      const streams = raw(context);
      const stream = context.stream('cmds:arith');
      const first = await streams.append(stream, { type: 'rpc', envelope: '{"a":1}', 'reply-to': 'x' });
      const second = await streams.append(stream, { type: 'rpc', envelope: '{"a": 2, "é": "\\u00e9"}' });
      expect(first).not.toBeNull();
      const all = await streams.read(stream, { after: '0-0', blockMs: 0, limit: 10 });
      expect(all).toEqual([
        { id: first, fields: { type: 'rpc', envelope: '{"a":1}', 'reply-to': 'x' } },
        { id: second, fields: { type: 'rpc', envelope: '{"a": 2, "é": "\\u00e9"}' } },
      ]);
      expect(Object.keys(all[0]?.fields ?? {})).toEqual(['type', 'envelope', 'reply-to']);
      expect(await streams.read(stream, { after: first as string, blockMs: 0, limit: 10 })).toEqual([all[1]]);
      expect(await streams.read(stream, { after: '0-0', blockMs: 0, limit: 1 })).toEqual([all[0]]);
      // A key names its stream, under its prefix only.
      expect(streams.streamOf(streams.keyOf(stream), context.prefix)).toEqual(stream);
      expect(streams.streamOf(streams.keyOf(stream), `${context.prefix}-other`)).toBeUndefined();
    });

    it('wakes a blocking read with the next append, and ends an aborted one with its reason', async () => {
      const context = ctx();
      const streams = raw(context);
      const stream = context.stream('replies:r1');
      await streams.keep(stream, 10_000);
      const waiting = streams.read(stream, { after: '0-0', blockMs: 5_000, limit: 10 });
      await sleep(50);
      const id = await streams.append(stream, { type: 'rpc', envelope: '{}' });
      expect((await waiting).map((entry) => entry.id)).toEqual([id]);
      // Nothing comes: an empty page after blockMs.
      expect(await streams.read(stream, { after: id as string, blockMs: 50, limit: 10 })).toEqual([]);
      const controller = new AbortController();
      const aborted = streams.read(stream, {
        after: id as string,
        blockMs: 5_000,
        limit: 10,
        signal: controller.signal,
      });
      const reason = new Error('caller gave up');
      controller.abort(reason);
      await expect(aborted).rejects.toBe(reason);
    });

    it('appends to a stream that must exist only when it does; keeps a stream for a while; deletes it', async () => {
      const context = ctx();
      const streams = raw(context);
      const stream = context.stream('replies:r2');
      expect(await streams.append(stream, { type: 'rpc' }, { mustExist: true })).toBeNull();
      expect(await streams.read(stream, { after: '0-0', blockMs: 0, limit: 10 })).toEqual([]);
      await streams.keep(stream, 300);
      const id = await streams.append(stream, { type: 'rpc', envelope: '{}' }, { mustExist: true, maxLength: 1024 });
      expect(id).not.toBeNull();
      expect((await streams.read(stream, { after: '0-0', blockMs: 0, limit: 10 })).map((e) => e.id)).toEqual([id]);
      // Nobody keeps it: it goes away, and an append that needs it no longer writes.
      await sleep(600);
      expect(await streams.append(stream, { type: 'rpc' }, { mustExist: true })).toBeNull();
      await streams.keep(stream, 10_000);
      await streams.append(stream, { type: 'rpc' });
      await streams.delete(stream);
      expect(await streams.read(stream, { after: '0-0', blockMs: 0, limit: 10 })).toEqual([]);
      expect(await streams.append(stream, { type: 'rpc' }, { mustExist: true })).toBeNull();
    });
  });
}
