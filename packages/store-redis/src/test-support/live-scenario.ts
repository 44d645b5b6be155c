import {
  compareCursors,
  ReplayRail,
  type StoredEvent,
  type Subscription,
  type SubscriptionEnd,
} from '@replayrail/core';
import { uniquePrefix } from '@replayrail/testkit';
import { RedisStreamStore } from '../redis-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A subscriber and what it got. */
export interface Subscriber {
  readonly channel: string;
  readonly events: StoredEvent[];
  subscription: Subscription;
  end: SubscriptionEnd | undefined;
}

/**
 * A server's rail and a publisher's rail on two clients of one Redis (a cluster,
 * say), subscribers on the server's, and a publisher that keeps publishing to the
 * channels in turn, retrying each event with its own event_id until it is stored
 * (so an outage costs time, never an event or a duplicate).
 */
export async function liveScenario(
  serverClient: unknown,
  publisherClient: unknown,
  channels: readonly string[],
  perChannel: number,
) {
  const streamPrefix = uniquePrefix();
  const config = { streamPrefix, maxStreamLength: null, readBlockMs: 2_000 };
  const server = new ReplayRail({ store: new RedisStreamStore({ client: serverClient }), config });
  const publisher = new ReplayRail({ store: new RedisStreamStore({ client: publisherClient }), config });
  const subscribers: Subscriber[] = [];
  for (const channel of channels) {
    for (let n = 0; n < perChannel; n++) {
      const mine: Subscriber = { channel, events: [], subscription: undefined as never, end: undefined };
      mine.subscription = await server.subscribe(channel, {
        from: 'latest',
        onEvent: (event) => mine.events.push(event),
        onEnd: (end) => {
          mine.end = end;
        },
      });
      subscribers.push(mine);
    }
  }
  let publishing = true;
  let sent = 0;
  let retries = 0;
  const acknowledged = new Map<string, StoredEvent[]>();
  const publishOne = async (channel: string, n: number): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const event = await publisher.publish({ channel, type: 'tick', payload: { n }, eventId: `${channel}-${n}` });
        acknowledged.set(channel, [...(acknowledged.get(channel) ?? []), event]);
        return;
      } catch (error) {
        if (attempt >= 300) throw error;
        retries++;
        await sleep(100);
      }
    }
  };
  // One publishing loop per channel, every 20 ms, so a slow shard holds up only its own.
  const loops = channels.map(async (channel) => {
    for (let n = 0; publishing; n++) {
      await publishOne(channel, n);
      sent++;
      await sleep(20);
    }
  });

  return {
    server,
    publisher,
    subscribers,
    acknowledged,
    get sent() {
      return sent;
    },
    get retries() {
      return retries;
    },
    async stopPublishing(): Promise<void> {
      publishing = false;
      await Promise.all(loops);
    },
    /** The channel's retained events now, read from whoever serves it. */
    async stored(channel: string): Promise<StoredEvent[]> {
      const events: StoredEvent[] = [];
      for await (const event of publisher.replayAll(channel, { after: '0-0', pageSize: 500 })) events.push(event);
      return events;
    },
    /** Resolves once every subscriber holds its channel's last stored event or has ended (or after `ms`). */
    async settle(ms: number): Promise<Map<string, StoredEvent[]>> {
      const stored = new Map<string, StoredEvent[]>();
      for (const channel of channels) stored.set(channel, await this.stored(channel));
      const done = () =>
        subscribers.every(
          (mine) => mine.end !== undefined || mine.events.at(-1)?.id === (stored.get(mine.channel) ?? []).at(-1)?.id,
        );
      for (let waited = 0; waited < ms && !done(); waited += 20) await sleep(20);
      return stored;
    },
    async close(): Promise<void> {
      for (const mine of subscribers) mine.subscription.close();
      await server.close();
      await publisher.close();
    },
  };
}

/**
 * What a subscriber got, held against what its channel's stream holds in the end:
 * `exact` when it got every stored event after its start, once each, in order;
 * `reset` when it was told the store lost history it had (and nothing it got was
 * out of order or twice); otherwise a description of what is wrong.
 */
export function judge(mine: Subscriber, stored: readonly StoredEvent[]): 'exact' | 'reset' | string {
  const ids = mine.events.map((event) => event.id);
  for (let i = 1; i < ids.length; i++) {
    if (compareCursors(ids[i - 1] as string, ids[i] as string) >= 0) return `out of order or repeated at ${ids[i]}`;
  }
  if (mine.end !== undefined && mine.end !== null) {
    return mine.end.code === 'stream_reset' ? 'reset' : `ended with ${mine.end.code}`;
  }
  const start = mine.subscription.start ?? '0-0';
  const expected = stored.filter((event) => compareCursors(event.id, start) > 0).map((event) => event.id);
  if (JSON.stringify(ids) !== JSON.stringify(expected)) {
    const missing = expected.filter((id) => !ids.includes(id));
    const extra = ids.filter((id) => !expected.includes(id));
    return `got ${ids.length} of ${expected.length}: missing ${missing.slice(0, 5).join(' ')}, not stored ${extra.slice(0, 5).join(' ')}`;
  }
  return 'exact';
}
