/**
 * @module
 * What a tool or a resource answers: one JSON text, at most `--max-output-bytes`
 * long. A list that would not fit is cut to the longest head that does, and the
 * answer says so (`truncated: true`) with where to go on, never cut mid-way: a
 * model's context is small, and half a JSON document is no answer.
 */

import type { StoredEvent } from '@replayrail/core';
import { eventLine } from '../format.js';
import { refuse } from './refusals.js';

/** The default of `--max-output-bytes`. */
export const DEFAULT_MAX_OUTPUT_BYTES = 65_536;

/** An event as the wire gives it, keys in the documented order (`tail --json`'s envelope). */
export function wire(event: StoredEvent): unknown {
  return JSON.parse(eventLine(event, true));
}

/** A tool's answer: its JSON text. */
export function textResult(text: string): { content: { type: 'text'; text: string }[] } {
  return { content: [{ type: 'text', text }] };
}

/**
 * The JSON of `answer(count)` for the largest `count` of the `total` items whose
 * text fits in `maxBytes`, and that count. `answer` says `truncated` when
 * `count < total`, and where the next call starts. When not even one item fits,
 * a refusal naming the limit: an answer with none would send the caller back to
 * where it was.
 */
export function fitted(
  total: number,
  answer: (count: number) => unknown,
  maxBytes: number,
  what: string,
): { text: string; count: number } {
  const text = (count: number) => JSON.stringify(answer(count));
  const fits = (candidate: string) => Buffer.byteLength(candidate, 'utf8') <= maxBytes;
  const whole = text(total);
  if (fits(whole)) return { text: whole, count: total };
  // The longest head that fits: the text only grows with the count.
  let low = 0;
  let high = total - 1;
  let best: string | undefined;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const candidate = text(middle);
    if (fits(candidate)) {
      best = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (best === undefined || high < 1) {
    refuse(
      `the next ${what} alone is larger than this server's --max-output-bytes (${maxBytes}): it cannot be shown here (replayrail tail, in a shell, shows it)`,
    );
  }
  return { text: best, count: high };
}

/** The JSON of the first of `answers` that fits in `maxBytes` (the whole, then shorter forms), or a refusal. */
export function firstFitting(answers: readonly unknown[], maxBytes: number): string {
  for (const answer of answers) {
    const text = JSON.stringify(answer);
    if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  }
  refuse(`the answer is larger than this server's --max-output-bytes (${maxBytes})`);
}
