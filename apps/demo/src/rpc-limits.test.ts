import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RPC_LIMITS, kitchenConcurrencyEnv, rpcLimitsFromEnv } from './rpc-limits.js';

describe("the calls' limits", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('are the defaults when the environment sets none', () => {
    vi.stubEnv('RPC_TIMEOUT_MS', undefined);
    vi.stubEnv('KITCHEN_CONCURRENCY', '');
    vi.stubEnv('RPC_LATENCY_WINDOW', undefined);
    expect(rpcLimitsFromEnv()).toEqual(DEFAULT_RPC_LIMITS);
    expect(DEFAULT_RPC_LIMITS).toEqual({ timeoutMs: 2_000, kitchenConcurrency: 4, latencyWindow: 1_000 });
  });

  it("are read from the README's variables, and reach a kitchen process as the supervisor wrote them", () => {
    vi.stubEnv('RPC_TIMEOUT_MS', '500');
    vi.stubEnv('RPC_LATENCY_WINDOW', '50');
    for (const [name, value] of Object.entries(kitchenConcurrencyEnv(8))) vi.stubEnv(name, value);
    expect(rpcLimitsFromEnv()).toEqual({ timeoutMs: 500, kitchenConcurrency: 8, latencyWindow: 50 });
  });

  it('stop the process on a bad value, naming it', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const [name, value] of [
      ['RPC_TIMEOUT_MS', '5'],
      ['RPC_TIMEOUT_MS', 'soon'],
      ['KITCHEN_CONCURRENCY', '0'],
      ['RPC_LATENCY_WINDOW', '1e9'],
    ] as const) {
      vi.unstubAllEnvs();
      vi.stubEnv(name, value);
      expect(() => rpcLimitsFromEnv(), `${name}=${value}`).toThrow('exit 2');
      expect(error).toHaveBeenLastCalledWith(expect.stringContaining(name));
    }
    expect(exit).toHaveBeenCalledWith(2);
  });
});
