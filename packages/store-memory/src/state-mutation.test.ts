import { ReplayRail } from '@replayrail/core';
import type { AppendRequest, EventStore, StreamRef } from '@replayrail/core/store';
import { checkHandOff, keyedPolicy } from '@replayrail/core/testing';
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from './memory-store.js';

// The hand-off property must catch a store that updates the state outside the
// append step (docs/state.md): here, a moment after the append, as a second write
// would. If this mutant passed, the property would prove nothing.
class StateAfterAppend implements EventStore {
  readonly inner = new MemoryEventStore();
  readonly state = this.inner.state;

  async append(stream: StreamRef, request: AppendRequest) {
    const event = await this.inner.append(stream, { ...request, state: null });
    const change = request.state;
    if (change !== null) {
      setTimeout(() => {
        void this.inner.state.apply(stream, [
          { key: change.key, id: event.id, fields: change.tombstone ? null : request.fields },
        ]);
      }, 0);
    }
    return event;
  }
  replay: EventStore['replay'] = (stream, query) => this.inner.replay(stream, query);
  read: EventStore['read'] = (stream, query) => this.inner.read(stream, query);
  latestCursor: EventStore['latestCursor'] = (stream) => this.inner.latestCursor(stream);
  healthcheck = () => this.inner.healthcheck();
  close = () => this.inner.close();
}

describe('the state hand-off property', () => {
  it('fails on a store that updates the state outside the append step', async () => {
    const store = new StateAfterAppend();
    let prefix = '';
    let run = 0;
    const failure = await checkHandOff(
      () => {
        prefix = `mutant-${run++}`;
        return new ReplayRail({
          store,
          config: { streamPrefix: prefix, maxStreamLength: null, channels: [keyedPolicy()] },
        });
      },
      async (keep) => void store.inner.trim({ prefix, channel: 'shop:1:orders' }, keep),
      { propertyRuns: 100 },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(String(failure)).toMatch(/Property failed/);
  });

  it('holds on the real store, with the same runs', async () => {
    const store = new MemoryEventStore();
    let prefix = '';
    let run = 0;
    await checkHandOff(
      () => {
        prefix = `real-${run++}`;
        return new ReplayRail({
          store,
          config: { streamPrefix: prefix, maxStreamLength: null, channels: [keyedPolicy()] },
        });
      },
      async (keep) => void store.trim({ prefix, channel: 'shop:1:orders' }, keep),
      { propertyRuns: 100 },
    );
  });
});
