/**
 * @module
 * `replayrail state <channel>`: a keyed channel's state, the latest event of each
 * key, read in pages (`--key` for one key); `replayrail state rebuild <channel>`:
 * the state recomputed from the retained history, for events written around the
 * rail's append (the Python library, a publish without the policy). Both read
 * through a rail made with the channel's policy (policy.ts).
 */

import type { NewEvent, ReplayRail, StoredEvent } from '@replayrail/core';
import { assertChannel, toWireJson } from '@replayrail/core/protocol';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { count, eventLine } from '../format.js';
import { type CliIo, OutputClosed } from '../io.js';
import { positiveCount } from '../parse.js';
import type { Policies } from '../policy.js';

export interface StateOptions {
  key?: string;
  json?: boolean;
  pageSize?: string;
}

export interface RebuildOptions {
  json?: boolean;
  pageSize?: string;
}

/** What the state commands work on: a rail made with the policies, and what the store can say of a channel. */
export interface StateTarget {
  readonly rail: ReplayRail;
  readonly policies: Policies;
  /** Why a channel shows no events, when the store can tell (not-found.ts's `missingChannel`, on Redis). */
  readonly whyEmpty?: (channel: string) => Promise<string | undefined>;
}

// Keys per store call: memory stays bounded by it, whatever the number of keys.
const DEFAULT_PAGE_SIZE = 1_000;

// Its upper bound is the rail's (limits.maxReplayLimit), checked there.
const pageSizeOf = (text: string | undefined) => positiveCount(text, '--page-size', DEFAULT_PAGE_SIZE);

// The channel's state key function, or undefined (and a line on stderr) when no policy gives it a state.
function keyOfChannel(
  target: StateTarget,
  io: CliIo,
  channel: string,
): ((event: NewEvent) => string | null) | undefined {
  const { rail, policies } = target;
  assertChannel(channel, rail.config.limits);
  const state = rail.config.channels.of(channel).state;
  if (state === null) {
    const which =
      policies.keyed.length === 0 ? 'none keeps a state' : `those with a state: ${policies.keyed.join(', ')}`;
    io.err(
      `replayrail: ${channel} keeps no state under ${policies.source}: no policy with a state matches it (${which})`,
    );
  }
  return state?.keyOf;
}

// One line of output: the key, then the event as `tail` prints it.
function stateLine(key: string, event: StoredEvent, json: boolean): string {
  const { snapshot: _, ...plain } = event; // the state's event, as `tail` prints it; the cursor is said apart
  return json ? `{"key":${JSON.stringify(key)},"event":${toWireJson(plain)}}` : `${key} ${eventLine(plain, false)}`;
}

// Why a keyed channel's state holds no keys: history written around the append, or no history at all.
async function whyNoKeys(target: StateTarget, channel: string, rebuild: string): Promise<string> {
  const retained = await target.rail.replay(channel, { from: 'earliest', limit: 1 });
  if (retained.events.length > 0) {
    return `its stream retains events: \`${rebuild}\` computes the state from them (events written around the rail, by the Python library or a publish without the policy, change no key)`;
  }
  return (await target.whyEmpty?.(channel)) ?? 'its stream retains no event';
}

/** `state <channel> [--key <key>]`: each key's latest event in key order, or one key's. */
export async function showState(
  target: StateTarget,
  io: CliIo,
  channel: string,
  options: StateOptions,
): Promise<ExitCode> {
  const pageSize = pageSizeOf(options.pageSize);
  const keyOf = keyOfChannel(target, io, channel);
  if (keyOf === undefined) return EXIT.notFound;
  const { rail, policies } = target;
  const json = options.json === true;
  const rebuild = `replayrail state rebuild ${channel} ${policies.source}`;
  if (options.key !== undefined) {
    const event = await rail.stateOf(channel, options.key);
    if (event === null) {
      const keys = await rail.stateSize(channel);
      const why =
        keys > 0 ? `it holds ${keys} other key${keys === 1 ? '' : 's'}` : await whyNoKeys(target, channel, rebuild);
      io.err(`replayrail: no key ${options.key} in the state of ${channel}; ${why}`);
      return EXIT.notFound;
    }
    io.out(stateLine(options.key, event, json));
    return EXIT.ok;
  }
  const snapshot = await rail.snapshot(channel, { pageSize, signal: io.signal });
  let keys = 0;
  let unkeyed = false;
  for await (const event of snapshot) {
    keys++;
    let key: string | null;
    try {
      key = keyOf(event);
    } catch {
      key = null;
    }
    // The state was kept with another key than the one given (a wrong --key-field): shown, and said once.
    if (key === null && !unkeyed) {
      unkeyed = true;
      io.err(
        `replayrail: ${policies.source} gives no key for ${event.id} (${event.type}), an event of the state: was it kept with another policy?`,
      );
    }
    io.out(stateLine(key ?? '-', event, json));
  }
  if (keys === 0) {
    io.err(`replayrail: the state of ${channel} holds no keys; ${await whyNoKeys(target, channel, rebuild)}`);
    return EXIT.ok;
  }
  // The snapshot's cursor, for reading on where it ends (stdout keeps only the keys).
  io.err(
    `replayrail: ${count(keys, 'key')} in the state of ${channel}, exact at ${snapshot.cursor} (what came after: replayrail tail ${channel} --from ${snapshot.cursor})`,
  );
  return EXIT.ok;
}

/** `state rebuild <channel>`: the state recomputed from the retained history, and what that changed. */
export async function rebuildState(
  target: StateTarget,
  io: CliIo,
  channel: string,
  options: RebuildOptions,
): Promise<ExitCode> {
  const pageSize = pageSizeOf(options.pageSize);
  if (keyOfChannel(target, io, channel) === undefined) return EXIT.notFound;
  let report: Awaited<ReturnType<ReplayRail['rebuildState']>>;
  try {
    report = await target.rail.rebuildState(channel, { pageSize, signal: io.signal });
  } catch (error) {
    if (!io.signal.aborted || io.signal.reason instanceof OutputClosed) throw error;
    // Ctrl-C: a rebuild only moves keys forward, so what it applied is right, and running it again finishes it.
    io.err(`replayrail: the rebuild of ${channel} stopped part-way: what it applied stays; run it again to finish`);
    return EXIT.failed;
  }
  io.out(
    options.json === true
      ? JSON.stringify({ channel, ...report })
      : `rebuilt the state of ${channel}: ${count(report.events, 'retained event')} read, ${count(report.changed, 'key')} changed, ${count(report.keys, 'key')} in the state`,
  );
  if (report.events === 0) {
    const why = await target.whyEmpty?.(channel);
    io.err(`replayrail: nothing to rebuild from: ${why ?? `${channel} retains no event`}`);
  }
  return EXIT.ok;
}
