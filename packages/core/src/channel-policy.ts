/**
 * @module
 * Per-channel policies (docs/state.md): for the channels a pattern matches, how long
 * their history is kept (`maxStreamLength`, `maxStreamAge`) and whether the store
 * keeps the latest event of each key beside the stream (`state`). Checked once when
 * the rail is made; looked up per channel on every publish, so the lookup is cached.
 */

import { badOption, integerOption, knownOptions } from './options.js';
import type { NewEvent } from './types.js';

/** How an event names the entity it is about: a payload field, or a function. */
export type StateKey = string | ((event: NewEvent) => string | null | undefined);

/** A channel's latest-per-key state. */
export interface ChannelStateOptions {
  /**
   * The entity an event is about: the name of a payload field (`'order_id'`), or a
   * function of the event. An event without a key (the field missing, the function
   * returning null or undefined) is stored and changes no key.
   */
  key: StateKey;
  /** Event types that delete their key from the state (still stored in the stream). @default [] */
  tombstones?: readonly string[];
}

/** The policy of the channels `match` names. */
export interface ChannelPolicy {
  /**
   * A channel name, or a pattern in which `*` stands for one or more characters
   * other than `:` and `/`: `'restaurant:*:orders'`. The first policy that matches
   * a channel is its policy; a channel no policy matches has the rail's defaults.
   */
  match: string;
  /** Entries kept (trimmed on append); `null` keeps all. @default config.maxStreamLength */
  maxStreamLength?: number | null;
  /** Entries older than this many ms (by the time in their ID) are trimmed on append; `null` keeps all. @default config.maxStreamAge */
  maxStreamAge?: number | null;
  /** Keep the latest event of each key beside the stream. @default none */
  state?: ChannelStateOptions;
}

/** A channel's state settings, resolved. */
export interface ResolvedState {
  /** The key of an event, or null when it has none; throws a `TypeError` for a key that is not a string. */
  readonly keyOf: (event: NewEvent) => string | null;
  readonly tombstones: ReadonlySet<string>;
}

/** What applies to one channel. */
export interface ResolvedChannelPolicy {
  readonly maxStreamLength: number | null;
  readonly maxStreamAge: number | null;
  readonly state: ResolvedState | null;
}

const OWNER = 'ReplayRailConfig';
const PATTERN = /^[A-Za-z0-9._:/*-]{1,256}$/;
const POLICY_FIELDS = ['match', 'maxStreamLength', 'maxStreamAge', 'state'];
const STATE_FIELDS = ['key', 'tombstones'];
/** Channels whose policy is remembered; past it the cache starts again (a rail may see any number of channels). */
const CACHE_SIZE = 10_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(match: string): RegExp {
  return new RegExp(`^${match.split('*').map(escapeRegExp).join('[^:/]+')}$`);
}

function lengthOption(field: string, value: unknown, fallback: number | null): number | null {
  if (value === null) return null;
  return value === undefined ? fallback : integerOption(OWNER, field, value, 0, { max: Number.MAX_SAFE_INTEGER });
}

function resolveState(field: string, state: unknown): ResolvedState {
  knownOptions(OWNER, state, STATE_FIELDS, `${field}.`);
  const { key, tombstones = [] } = state as unknown as ChannelStateOptions;
  let keyOf: (event: NewEvent) => unknown;
  if (typeof key === 'string' && key !== '') keyOf = (event) => event.payload[key];
  else if (typeof key === 'function') keyOf = key;
  else throw badOption(OWNER, `${field}.key`, 'must be a payload field name or a function of the event', key);
  if (!Array.isArray(tombstones) || tombstones.some((type) => typeof type !== 'string' || type === '')) {
    throw badOption(OWNER, `${field}.tombstones`, 'must be an array of event types', tombstones);
  }
  return {
    keyOf: (event) => {
      const value = keyOf(event);
      if (value === null || value === undefined) return null;
      if (typeof value !== 'string' || value === '') {
        throw new TypeError(`the state key of a ${event.type} event must be a non-empty string, got ${typeof value}`);
      }
      return value;
    },
    tombstones: new Set(tombstones),
  };
}

/** The channel policies of a rail: checked once, looked up per channel. */
export class ChannelPolicies {
  readonly #policies: readonly { readonly pattern: RegExp; readonly policy: ResolvedChannelPolicy }[];
  readonly #defaults: ResolvedChannelPolicy;
  readonly #cache = new Map<string, ResolvedChannelPolicy>();

  /** Throws `ConfigError` naming the first bad field (`channels[1].state.key`, …). */
  constructor(policies: unknown, defaults: { maxStreamLength: number | null; maxStreamAge: number | null }) {
    this.#defaults = Object.freeze({ ...defaults, state: null });
    if (policies === undefined) {
      this.#policies = [];
      return;
    }
    if (!Array.isArray(policies)) throw badOption(OWNER, 'channels', 'must be an array of channel policies', policies);
    this.#policies = policies.map((given: unknown, index) => {
      const field = `channels[${index}]`;
      knownOptions(OWNER, given, POLICY_FIELDS, `${field}.`);
      const policy = given as unknown as ChannelPolicy;
      if (typeof policy.match !== 'string' || !PATTERN.test(policy.match)) {
        throw badOption(
          OWNER,
          `${field}.match`,
          'must be a channel name or a pattern with * for a segment',
          policy.match,
        );
      }
      return {
        pattern: compile(policy.match),
        policy: Object.freeze({
          maxStreamLength: lengthOption(`${field}.maxStreamLength`, policy.maxStreamLength, defaults.maxStreamLength),
          maxStreamAge: lengthOption(`${field}.maxStreamAge`, policy.maxStreamAge, defaults.maxStreamAge),
          state: policy.state === undefined ? null : resolveState(`${field}.state`, policy.state),
        }),
      };
    });
  }

  /** Whether any channel keeps a state (a store without one then refuses the rail). */
  get keepsState(): boolean {
    return this.#policies.some(({ policy }) => policy.state !== null);
  }

  /** What applies to `channel` (a valid channel name). */
  of(channel: string): ResolvedChannelPolicy {
    if (this.#policies.length === 0) return this.#defaults;
    let policy = this.#cache.get(channel);
    if (policy === undefined) {
      policy = this.#policies.find(({ pattern }) => pattern.test(channel))?.policy ?? this.#defaults;
      if (this.#cache.size >= CACHE_SIZE) this.#cache.clear();
      this.#cache.set(channel, policy);
    }
    return policy;
  }
}
