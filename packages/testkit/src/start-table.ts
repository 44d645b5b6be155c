import {
  isReplayRailError,
  ReplayRail,
  type StoredEvent,
  type SubscribeOptions,
  type Subscription,
} from '@replayrail/core';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './socket-client.js';
import type { StoreFixture } from './socket-suite.js';

/**
 * What a transport did with a start: the events it delivered (a subscription: the
 * replay, up to a marker published once it started; a page: its events), or the
 * error code it refused it with (400 body, 4400 close reason, error frame).
 */
export type StartOutcome = { readonly events: readonly string[] } | { readonly error: string };

/**
 * Asks one endpoint of a transport for `channel` with these start parameters (the
 * query's names: `after`, `last_event_id`, `from`, `since`, `until`). A
 * subscription publishes `marker()` once it has started and reports the events
 * before it.
 */
export type StartProbe = (
  channel: string,
  params: Readonly<Record<string, string>>,
  marker: () => Promise<StoredEvent>,
) => Promise<StartOutcome>;

/** The endpoints a transport serves, by name, and whether each is a subscription or a page. */
export type StartProbes = Readonly<
  Record<string, { readonly use: 'subscription' | 'page'; readonly probe: StartProbe }>
>;

// `@n`: the n-th seeded event's cursor; `%n`: its millisecond as an ISO time with `Z`;
// `%n+02:00`: the same instant with an offset.
type Row = readonly [name: string, params: Record<string, string>, expected: number[] | string, subscription?: string];

/**
 * The one table (issue #12): the same request means the same thing, or fails with
 * the same code, on every transport. Seeded with four events 0-3, each in its own
 * millisecond, and `defaultStartPosition: 'earliest'` (so a page and a
 * subscription without a start agree).
 */
export const START_TABLE: readonly Row[] = [
  ['nothing: the default start', {}, [0, 1, 2, 3]],
  ['after a cursor', { after: '@1' }, [2, 3]],
  ['last_event_id, the same parameter', { last_event_id: '@1' }, [2, 3]],
  ['after 0-0: everything retained', { after: '0-0' }, [0, 1, 2, 3]],
  ['after $: only what comes next', { after: '$' }, []],
  ['from earliest', { from: 'earliest' }, [0, 1, 2, 3]],
  ['from latest', { from: 'latest' }, []],
  ['from a cursor: after it', { from: '@1' }, [2, 3]],
  ['from 0-0', { from: '0-0' }, [0, 1, 2, 3]],
  ['from $', { from: '$' }, []],
  ['since a time with Z', { since: '%2' }, [2, 3]],
  ['since the same instant with an offset', { since: '%2+02:00' }, [2, 3]],
  ['since a time without a zone', { since: '2026-06-29T12:00:00' }, 'invalid_cursor'],
  ['since a bare year', { since: '2026' }, 'invalid_cursor'],
  ['since a date that does not exist', { since: '2026-02-30T00:00:00Z' }, 'invalid_cursor'],
  ['after garbage', { after: 'abc' }, 'invalid_cursor'],
  ['after a non-canonical cursor', { after: '01-0' }, 'invalid_cursor'],
  ['from something else', { from: 'middle' }, 'invalid_request'],
  // Only a keyed channel has a snapshot (the snapshot suite reads one on every endpoint).
  ['from snapshot, on a channel that keeps no state', { from: 'snapshot' }, 'invalid_request'],
  ['after and since', { after: '@1', since: '%2' }, 'invalid_request'],
  ['last_event_id and from', { last_event_id: '@1', from: 'latest' }, 'invalid_request'],
  ['after and last_event_id', { after: '@1', last_event_id: '@1' }, 'invalid_request'],
  ['since and from', { since: '%2', from: 'earliest' }, 'invalid_request'],
  // A page may end; a subscription has none, and says so the same way everywhere.
  ['until a cursor', { until: '@2' }, [0, 1, 2], 'invalid_request'],
  ['until a time', { since: '%1', until: '%2' }, [1, 2], 'invalid_request'],
  ['until garbage', { until: 'soon' }, 'invalid_cursor', 'invalid_request'],
];

function iso(ms: number, offset?: string): string {
  if (offset === undefined) return new Date(ms).toISOString();
  // The same instant written in another zone: +02:00 is two hours ahead of UTC.
  const sign = offset.startsWith('-') ? -1 : 1;
  const [hours, minutes] = offset.slice(1).split(':').map(Number) as [number, number];
  const local = new Date(ms + sign * (hours * 60 + minutes) * 60_000).toISOString().replace('Z', '');
  return `${local}${offset}`;
}

function resolve(params: Readonly<Record<string, string>>, seeded: readonly StoredEvent[]): Record<string, string> {
  const msOf = (event: StoredEvent) => Number(event.id.split('-')[0]);
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => {
      const cursor = /^@(\d)$/.exec(value);
      if (cursor) return [name, (seeded[Number(cursor[1])] as StoredEvent).id];
      const time = /^%(\d)([+-]\d\d:\d\d)?$/.exec(value);
      if (time) return [name, iso(msOf(seeded[Number(time[1])] as StoredEvent), time[2])];
      return [name, value];
    }),
  );
}

/**
 * Runs every row of the table against every probe of a transport, on a fresh
 * channel each, and expects the same outcome everywhere.
 */
export function startTableSuite(
  name: string,
  fixture: () => Promise<StoreFixture>,
  serve: (rail: ReplayRail) => Promise<{ probes: StartProbes; close(): Promise<void> }>,
): void {
  describe(`one start parser: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('gives every row of the start table the same outcome on every endpoint', async () => {
      const { store, prefix, dispose } = await fixture();
      const rail = new ReplayRail({ store, config: { streamPrefix: prefix, defaultStartPosition: 'earliest' } });
      const served = await serve(rail);
      cleanups.push(async () => {
        await served.close();
        await rail.close();
        await dispose();
      });
      let channels = 0;
      const mismatches: string[] = [];
      const probes = { ...codeProbes(rail), ...served.probes };
      for (const [endpoint, { use, probe }] of Object.entries(probes)) {
        for (const [row, params, expected, subscription] of START_TABLE) {
          // `last_event_id` is the wire's second name for `after`; code has one name.
          if (endpoint.startsWith('rail.') && 'last_event_id' in params) continue;
          const channel = `start-${channels++}`;
          const seeded: StoredEvent[] = [];
          for (let n = 0; n < 4; n++) {
            seeded.push(await rail.publish({ channel, type: 'seeded', payload: { n } }));
            // Each in its own millisecond, so `since` can fall between them.
            const ms = Number(seeded[n]?.id.split('-')[0]);
            while (Date.now() <= ms) await new Promise((wake) => setTimeout(wake, 1));
          }
          const want =
            use === 'subscription' && subscription !== undefined
              ? { error: subscription }
              : typeof expected === 'string'
                ? { error: expected }
                : { events: expected.map((n) => (seeded[n] as StoredEvent).id) };
          const marker = () => rail.publish({ channel, type: 'marker', payload: {} });
          const got = await probe(channel, resolve(params, seeded), marker);
          if (JSON.stringify(got) !== JSON.stringify(want)) {
            mismatches.push(
              `${endpoint}, ${row} ${JSON.stringify(params)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
            );
          }
        }
      }
      expect(mismatches).toEqual([]);
    }, 60_000);
  });
}

/** The rail's own methods as probes: the same table holds in code as on the wire. */
function codeProbes(rail: ReplayRail): StartProbes {
  const codeOf = (error: unknown) => ({ error: isReplayRailError(error) ? error.code : String(error) });
  return {
    'rail.replay': {
      use: 'page',
      probe: async (channel, params) => {
        try {
          const page = await rail.replay(channel, { ...params, limit: 1000 });
          return { events: page.events.map((event) => event.id) };
        } catch (error) {
          return codeOf(error);
        }
      },
    },
    'rail.subscribe': {
      use: 'subscription',
      probe: async (channel, params, marker) => {
        let subscription: Subscription;
        try {
          // `until` too, as a client might pass it: the rail refuses it on a subscription.
          subscription = await rail.subscribe(channel, params as SubscribeOptions);
        } catch (error) {
          return codeOf(error);
        }
        const last = await marker();
        const events: string[] = [];
        for await (const event of subscription) {
          if (event.id === last.id) break;
          events.push(event.id);
        }
        subscription.close();
        return { events };
      },
    },
  };
}

/** The events of `frames` before the marker (the last event), by ID. */
function beforeMarker(frames: readonly Record<string, unknown>[]): string[] {
  const events = frames.filter((frame) => !('op' in frame));
  return events.slice(0, -1).map((event) => event.id as string);
}

/** The one-channel WebSocket endpoint `<ws>/<channel>?<start>` as a probe. */
export function oneChannelProbe(wsUrl: string): StartProbe {
  return async (channel, params, marker) => {
    const socket = connect(`${wsUrl}/${channel}?${new URLSearchParams(params)}`);
    // A refused socket opens, so that a browser learns why, then closes with the code.
    const refused = socket.closed.then((closed) => closed.reason);
    const opened = await socket.opened.then(
      () => true,
      () => false,
    );
    if (!opened) return { error: await refused };
    const last = await marker();
    const outcome = await Promise.race([
      socket.until((frames) => frames.some((frame) => frame.id === last.id), 'the marker').then(() => undefined),
      refused,
    ]);
    socket.ws.close();
    return outcome === undefined ? { events: beforeMarker(socket.json()) } : { error: outcome };
  };
}

/** The multiplexed WebSocket endpoint's subscribe frame, with the same names, as a probe. */
export function multiplexedProbe(wsUrl: string): StartProbe {
  return async (channel, params, marker) => {
    const socket = connect(wsUrl);
    await socket.opened;
    socket.ws.send(JSON.stringify({ op: 'subscribe', channel, ...params }));
    await socket.until((frames) => frames.some((frame) => frame.op === 'error' || frame.op === 'subscribed'));
    const refusal = socket.json().find((frame) => frame.op === 'error');
    if (refusal !== undefined) {
      socket.ws.close();
      return { error: refusal.code as string };
    }
    const last = await marker();
    await socket.until((frames) => frames.some((frame) => frame.id === last.id), 'the marker');
    socket.ws.close();
    return { events: beforeMarker(socket.json()) };
  };
}
