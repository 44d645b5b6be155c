/**
 * @module
 * The rail each tool call reads or writes a channel through, so a keyed channel's
 * state is read (and, with `--allow-write`, kept) as the application keeps it.
 * With `--config`, the connection's rail carries the module's policies. With
 * `--key-field`, which names no channel, the shorthand applies to each channel a
 * tool names: a rail made for the call with the policy `replayrail state <channel>
 * --key-field …` would use (policy.ts).
 */

import { type NewEvent, ReplayRail } from '@replayrail/core';
import { assertChannel } from '@replayrail/core/protocol';
import type { Connection } from '../connect.js';
import { loadPolicies, type Policies, type PolicyOptions } from '../policy.js';
import { refuse } from './refusals.js';

/** A keyed channel's rail and its key function. */
export interface KeyedRail {
  readonly rail: ReplayRail;
  readonly keyOf: (event: NewEvent) => string | null;
}

export class ChannelRails {
  readonly #connection: Connection;
  readonly #options: PolicyOptions;
  readonly #policies: Policies | undefined;

  /** `policies`: what the options gave when the server started (`--config`'s are the connection rail's). */
  constructor(connection: Connection, options: PolicyOptions, policies: Policies | undefined) {
    this.#connection = connection;
    this.#options = options;
    this.#policies = policies;
  }

  /** The rail for `channel`; `writes` when the call may change its state (a publish). */
  async of(channel: string, use = { writes: false }): Promise<ReplayRail> {
    if (this.#options.keyField === undefined) return this.#connection.rail;
    const { channels } = (await loadPolicies(channel, this.#options, use)) as Policies;
    // On the connection's store, and never closed: closing a rail closes its store.
    // The config is connect.ts's (no trimming: the CLI does not know the retention).
    return new ReplayRail({
      store: this.#connection.store,
      config: { streamPrefix: this.#connection.prefix, maxStreamLength: null, channels },
    });
  }

  /** The rail and key function of a keyed channel, or a refusal saying how to give it a policy. */
  async keyed(channel: string): Promise<KeyedRail> {
    const rail = await this.of(channel);
    assertChannel(channel, rail.config.limits);
    const state = rail.config.channels.of(channel).state;
    if (state !== null) return { rail, keyOf: state.keyOf };
    const policies = this.#policies;
    if (policies === undefined) {
      refuse(
        `${channel} keeps no state that this server knows of: the state is read through the channel's policy, so start the server with --config <module> (your rail config's channels) or --key-field <payload field>`,
      );
    }
    const which =
      policies.keyed.length === 0 ? 'none keeps a state' : `those with a state: ${policies.keyed.join(', ')}`;
    refuse(`${channel} keeps no state under ${policies.source}: no policy with a state matches it (${which})`);
  }
}
