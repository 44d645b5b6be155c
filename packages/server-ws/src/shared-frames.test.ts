import { ReplayRail, type StoredEvent } from '@replayrail/core';
import { ProtocolSession, type ProtocolSocket } from '@replayrail/core/protocol';
import { MemoryEventStore } from '@replayrail/store-memory';
import { describe, expect, it } from 'vitest';

// A socket that records each batch it is given and whether the session called it shared.
function batchRecorder() {
  const batches: { texts: string[]; shared: boolean | undefined }[] = [];
  const socket: ProtocolSocket = {
    bufferedAmount: 0,
    send(text) {
      batches.push({ texts: [text], shared: undefined });
    },
    sendBatch(texts, shared) {
      batches.push({ texts: [...texts], shared });
    },
    close() {},
  };
  return { socket, batches };
}

const idsOf = (texts: readonly string[]) => texts.map((text) => (JSON.parse(text) as StoredEvent).id);
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('frames a session hands its transport', () => {
  it('a catch-up’s are its own; a live feed’s are shared with the other sockets', async () => {
    const rail = new ReplayRail({ store: new MemoryEventStore() });
    const missed: StoredEvent[] = [];
    for (let n = 0; n < 3; n++) missed.push(await rail.publish({ channel: 'c', type: 't', payload: { n } }));
    const { socket, batches } = batchRecorder();
    const session = new ProtocolSession(rail, {}, { maxBufferedBytes: 1 << 20, report: () => {} });
    session.attach(socket);
    const start = missed[0] as StoredEvent;
    await session.subscribe('c', { after: start.id }, true);
    await until(() => batches.length > 0);
    expect(batches).toEqual([{ texts: expect.any(Array), shared: false }]);
    expect(idsOf(batches[0]?.texts ?? [])).toEqual(missed.slice(1).map((event) => event.id));

    const live = await rail.publish({ channel: 'c', type: 't', payload: { n: 3 } });
    await until(() => batches.length > 1);
    expect(batches[1]).toEqual({ texts: expect.any(Array), shared: true });
    expect(idsOf(batches[1]?.texts ?? [])).toEqual([live.id]);
    session.close(1000, 'done');
    await rail.close();
  });

  it('frames an entry from its stored texts, in a catch-up and live alike', async () => {
    const store = new MemoryEventStore();
    const rail = new ReplayRail({ store });
    const stream = { prefix: rail.config.streamPrefix, channel: 'c' };
    // As the Python library's json.dumps writes it: spaces after ':' and ','.
    const python = (n: number) => ({
      event_id: `py-${n}`,
      channel: 'c',
      type: 't',
      payload: `{"n": ${n}, "tags": ["a", "b"]}`,
      actor: 'null',
      metadata: '{}',
      created_at: '2026-06-29T12:00:00Z',
    });
    const first = store.appendRaw(stream, python(1));
    store.appendRaw(stream, python(2));
    const { socket, batches } = batchRecorder();
    const session = new ProtocolSession(rail, {}, { maxBufferedBytes: 1 << 20, report: () => {} });
    session.attach(socket);
    await session.subscribe('c', { after: '0-0' }, true);
    await until(() => batches.length > 0);
    store.appendRaw(stream, python(3));
    await rail.publish({ channel: 'c', type: 't', payload: { n: 4 } }); // wakes the feed
    await until(() => batches.flatMap((batch) => batch.texts).length >= 4);
    const texts = batches.flatMap((batch) => batch.texts);
    expect(texts.slice(0, 3).map((text) => text.match(/"payload":(\{[^}]*\})/)?.[1])).toEqual([
      '{"n": 1, "tags": ["a", "b"]}',
      '{"n": 2, "tags": ["a", "b"]}',
      '{"n": 3, "tags": ["a", "b"]}',
    ]);
    expect(JSON.parse(texts[0] as string)).toMatchObject({ id: first, payload: { n: 1, tags: ['a', 'b'] } });
    session.close(1000, 'done');
    await rail.close();
  });
});
