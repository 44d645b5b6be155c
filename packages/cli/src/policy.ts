/**
 * @module
 * A keyed channel's state policy, as the CLI learns it: `--config <module>` (the
 * application's own `channels`, key functions and all) or `--key-field <payload
 * field>` with `--tombstone <type>` (the shorthand, for a key that is a payload
 * field, and for channels written by a program with no JavaScript module to load,
 * the Python library). The README's "Channel state" says why the CLI needs one.
 */

import type { ChannelPolicy } from '@replayrail/core';
import { importAppModule } from './app-module.js';
import { UsageError } from './parse.js';

/** The options that give a channel's state policy. */
export interface PolicyOptions {
  config?: string;
  keyField?: string;
  tombstone?: readonly string[];
  /** False with `--no-tombstones`: no event type deletes a key. */
  tombstones?: boolean;
}

/** Channel policies for the rail, and where they came from (named in messages). */
export interface Policies {
  readonly channels: readonly ChannelPolicy[];
  /** The options as given: `--config <module>`, `--key-field order_id --tombstone order.deleted`. */
  readonly source: string;
  /** The patterns of the policies that keep a state, to say which channels do. */
  readonly keyed: readonly string[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

// The channels a module exports: as `channels`, or as the `channels` of the rail
// config it exports as `config`, or as its default export (either of the two).
function channelsOf(module: Record<string, unknown>): unknown {
  if (module.channels !== undefined) return module.channels;
  if (isObject(module.config) && module.config.channels !== undefined) return module.config.channels;
  const fallback = module.default;
  return Array.isArray(fallback) ? fallback : isObject(fallback) ? fallback.channels : undefined;
}

// The CLI never trims a stream (the README says so of publish): a policy's retention
// is left out, everything else kept, so the rail still refuses a field it does not know.
function withoutRetention(policy: unknown): unknown {
  if (!isObject(policy)) return policy;
  const { maxStreamLength: _length, maxStreamAge: _age, ...rest } = policy;
  return rest;
}

/**
 * The policies the options give for `channel`, or undefined when they give none.
 * The rail checks each policy when it is made (a bad one is a usage error naming
 * the source, see cli.ts). A command that `writes` the state (publish, rebuild) with
 * `--key-field` must say which event types are tombstones, or that none are: one
 * forgotten would store a deletion as its key's latest event, and no later rebuild
 * takes that back (a rebuild only moves a key forward).
 */
export async function loadPolicies(
  channel: string,
  options: PolicyOptions,
  use: { writes: boolean },
  cwd = process.cwd(),
): Promise<Policies | undefined> {
  const { config, keyField, tombstone } = options;
  const none = options.tombstones === false;
  if (config !== undefined && (keyField !== undefined || tombstone !== undefined || none)) {
    throw new UsageError('give --config or --key-field (with --tombstone), not both: the module has its tombstones');
  }
  if (tombstone !== undefined && none) throw new UsageError('give --tombstone <type> or --no-tombstones, not both');
  if (config !== undefined) {
    const channels = channelsOf(await importAppModule(config, '--config', cwd));
    if (!Array.isArray(channels)) {
      throw new UsageError(
        `--config ${config} must export its channel policies as \`channels\`, or its rail config (with \`channels\`) as \`config\` or by default`,
      );
    }
    const keyed = channels.filter((policy) => isObject(policy) && policy.state !== undefined);
    return {
      channels: channels.map(withoutRetention) as ChannelPolicy[],
      source: `--config ${config}`,
      keyed: keyed.map((policy) => String(policy.match)),
    };
  }
  if (keyField === undefined) {
    if (tombstone !== undefined || none) throw new UsageError('--tombstone goes with --key-field <payload field>');
    return undefined;
  }
  if (use.writes && tombstone === undefined && !none) {
    throw new UsageError(
      'this writes the state: with --key-field, name the event types that delete a key (--tombstone <type>), or give --no-tombstones',
    );
  }
  // The channel itself as the pattern: a channel name has no `*`, so it matches only itself.
  const policy: ChannelPolicy = { match: channel, state: { key: keyField, tombstones: tombstone ?? [] } };
  const tombstones = tombstone === undefined ? (none ? ' --no-tombstones' : '') : ` --tombstone ${tombstone.join(' ')}`;
  return { channels: [policy], source: `--key-field ${keyField}${tombstones}`, keyed: [channel] };
}
