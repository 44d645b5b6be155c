/**
 * @module
 * The demo server's own record of its calls to other services, per method: how
 * many, how many failed and how, and their latency (p50, p99) over the latest
 * calls. The operator's view shows it (`GET /operator/rpc`). /metrics has the same
 * calls as OpenTelemetry's `rpc.client.call.duration` histogram, in buckets; this
 * record keeps the durations themselves, so its percentiles are exact.
 */

import { isReplayRailError } from '@replayrail/core';
import type { RpcError } from '@replayrail/rpc';
import type { CallStats } from './rpc-api.js';

/** How a failed call is counted: `rpc_timeout`, `rpc_transport`, `rpc_error -32000`, or the error's code. */
export function errorKind(error: unknown): string {
  if (isReplayRailError(error, 'rpc_error')) return `rpc_error ${(error as RpcError).rpcCode}`;
  if (isReplayRailError(error)) return error.code;
  return 'internal_error';
}

/** The nearest-rank percentile `p` (0 to 100) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

class MethodRecord {
  calls = 0;
  errors = 0;
  readonly errorsByCode: Record<string, number> = {};
  // A ring of the latest durations, in ms.
  readonly durations: number[] = [];
  next = 0;
}

export class CallRecord {
  readonly #window: number;
  readonly #methods = new Map<string, MethodRecord>();

  /** `methods` are listed from the start, with no calls yet; `window`: the latest calls the percentiles are over. */
  constructor(methods: readonly string[], window: number) {
    this.#window = window;
    for (const method of methods) this.#methods.set(method, new MethodRecord());
  }

  /** One call of `method` that took `ms`, and failed with `error` if given. */
  add(method: string, ms: number, error?: unknown): void {
    let record = this.#methods.get(method);
    if (record === undefined) {
      record = new MethodRecord();
      this.#methods.set(method, record);
    }
    record.calls++;
    if (error !== undefined) {
      record.errors++;
      const kind = errorKind(error);
      record.errorsByCode[kind] = (record.errorsByCode[kind] ?? 0) + 1;
    }
    record.durations[record.next] = ms;
    record.next = (record.next + 1) % this.#window;
  }

  /** Every method's figures, by method name. */
  view(): CallStats[] {
    return [...this.#methods.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([method, record]) => {
        const sorted = [...record.durations].sort((a, b) => a - b);
        const rounded = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
        return {
          method,
          calls: record.calls,
          errors: record.errors,
          errors_by_code: { ...record.errorsByCode },
          p50_ms: rounded(percentile(sorted, 50)),
          p99_ms: rounded(percentile(sorted, 99)),
          window: this.#window,
        };
      });
  }
}
