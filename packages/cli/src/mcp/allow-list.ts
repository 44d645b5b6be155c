/**
 * @module
 * Which channels the MCP server may name (`--channels`): patterns in which `*`
 * stands for any run of characters, `:` and `/` included, as in a Redis glob, so
 * `restaurant:*` covers `restaurant:123:orders`. That is wider than a channel
 * policy's `*` (one segment): an allow-list fences off a namespace, a policy names
 * a shape of channel. No pattern: every channel.
 */

import { UsageError } from '../parse.js';
import { refuse } from './refusals.js';

// A channel's characters (core's validate.ts), and `*`.
const PATTERN = /^[A-Za-z0-9._:/*-]+$/;

export class AllowList {
  readonly patterns: readonly string[];
  readonly #regexps: readonly RegExp[];

  /** From `--channels` values as given: each repeatable, each comma-separated. Refuses a malformed pattern. */
  constructor(values: readonly string[] = []) {
    this.patterns = values.flatMap((value) => value.split(',')).map((pattern) => pattern.trim());
    for (const pattern of this.patterns) {
      if (!PATTERN.test(pattern)) {
        throw new UsageError(
          `--channels takes channel patterns (letters, digits, . _ : / - and *), got ${JSON.stringify(pattern)}`,
        );
      }
    }
    this.#regexps = this.patterns.map((pattern) => new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`));
  }

  /** Whether every channel is allowed (no `--channels`). */
  get open(): boolean {
    return this.patterns.length === 0;
  }

  allows(channel: string): boolean {
    return this.open || this.#regexps.some((regexp) => regexp.test(channel));
  }

  /** `channel` when it is allowed; otherwise a refusal naming the patterns, for the model to pick another. */
  check(channel: string): string {
    if (!this.allows(channel)) {
      refuse(`channel ${channel} is not served here: this server serves only ${this.patterns.join(', ')} (--channels)`);
    }
    return channel;
  }

  /** The list in a sentence, for the server's instructions. */
  describe(): string {
    return this.open ? 'every channel' : `only the channels matching ${this.patterns.join(', ')}`;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
