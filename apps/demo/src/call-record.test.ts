import { RpcError, RpcTimeoutError, RpcTransportError } from '@replayrail/rpc';
import { describe, expect, it } from 'vitest';
import { CallRecord, errorKind, percentile } from './call-record.js';

// The server's record of its calls, as GET /operator/rpc shows it.
describe("the server's call record", () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('counts calls and errors by kind, and lists every method from the start', () => {
    const record = new CallRecord(['kitchen.estimate', 'printer.status'], 100);
    expect(record.view()).toEqual([
      { method: 'kitchen.estimate', calls: 0, errors: 0, errors_by_code: {}, p50_ms: null, p99_ms: null, window: 100 },
      { method: 'printer.status', calls: 0, errors: 0, errors_by_code: {}, p50_ms: null, p99_ms: null, window: 100 },
    ]);
    record.add('kitchen.estimate', 3);
    record.add('kitchen.estimate', 5, new RpcError(-32000, 'no items'));
    record.add('kitchen.estimate', 2000, new RpcTimeoutError('not answered'));
    record.add('kitchen.estimate', 1, new RpcTransportError('not sent'));
    expect(record.view()[0]).toMatchObject({
      calls: 4,
      errors: 3,
      errors_by_code: { 'rpc_error -32000': 1, rpc_timeout: 1, rpc_transport: 1 },
      p50_ms: 3,
      p99_ms: 2000,
    });
    expect(errorKind(new Error('a bug'))).toBe('internal_error');
  });

  it('takes the percentiles over the latest calls of its window only', () => {
    const record = new CallRecord([], 10);
    for (let i = 0; i < 10; i++) record.add('printer.status', 1_000);
    for (let i = 0; i < 10; i++) record.add('printer.status', 2);
    expect(record.view()).toEqual([expect.objectContaining({ calls: 20, p50_ms: 2, p99_ms: 2 })]);
  });
});
