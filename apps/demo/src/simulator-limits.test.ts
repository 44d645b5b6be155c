import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SIMULATOR_LIMITS, simulatorLimitsFromEnv } from './simulator-limits.js';

describe("the simulator's limits", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("are the README's defaults when the environment sets none", () => {
    vi.stubEnv('SIMULATOR_MAX_IN_FLIGHT', undefined);
    vi.stubEnv('SIMULATOR_DURATION_MS', '');
    expect(simulatorLimitsFromEnv()).toEqual(DEFAULT_SIMULATOR_LIMITS);
    expect(DEFAULT_SIMULATOR_LIMITS).toEqual({ maxInFlight: 5, durationMs: 20_000 });
  });

  it("are read from the README's variables", () => {
    vi.stubEnv('SIMULATOR_MAX_IN_FLIGHT', '2');
    vi.stubEnv('SIMULATOR_DURATION_MS', '5000');
    expect(simulatorLimitsFromEnv()).toEqual({ maxInFlight: 2, durationMs: 5_000 });
  });

  it('stop the process on a value out of bounds, naming it', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    for (const [name, value] of [
      ['SIMULATOR_MAX_IN_FLIGHT', '0'],
      ['SIMULATOR_MAX_IN_FLIGHT', '51'],
      ['SIMULATOR_DURATION_MS', '999'],
      ['SIMULATOR_DURATION_MS', 'soon'],
    ] as const) {
      vi.unstubAllEnvs();
      vi.stubEnv(name, value);
      expect(() => simulatorLimitsFromEnv(), `${name}=${value}`).toThrow('exit 2');
      expect(error).toHaveBeenLastCalledWith(expect.stringContaining(`${name} must be`));
    }
    expect(exit).toHaveBeenCalledWith(2);
  });
});
