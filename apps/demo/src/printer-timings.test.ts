import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PRINTER_TIMINGS, printerTimingsEnv, printerTimingsFromEnv } from './printer-timings.js';

describe("the printer's timings", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('are the defaults when the environment sets none', () => {
    vi.stubEnv('PRINTER_PRINT_MS', undefined);
    vi.stubEnv('PRINTER_CLAIM_IDLE_MS', '');
    expect(printerTimingsFromEnv()).toEqual(DEFAULT_PRINTER_TIMINGS);
    expect(DEFAULT_PRINTER_TIMINGS).toEqual({ printMs: 1_500, claimIdleMs: 5_000 });
  });

  it("reach a printer process as the supervisor wrote them, under the README's variables", () => {
    const timings = { printMs: 4_000, claimIdleMs: 3_000 };
    expect(printerTimingsEnv(timings)).toEqual({ PRINTER_PRINT_MS: '4000', PRINTER_CLAIM_IDLE_MS: '3000' });
    for (const [name, value] of Object.entries(printerTimingsEnv(timings))) vi.stubEnv(name, value);
    expect(printerTimingsFromEnv()).toEqual(timings);
  });

  it('stop the process on a bad value, naming it', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.stubEnv('PRINTER_CLAIM_IDLE_MS', '5'); // below rail.consume's minimum of 10
    expect(() => printerTimingsFromEnv()).toThrow('exit 2');
    expect(exit).toHaveBeenCalledWith(2);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('PRINTER_CLAIM_IDLE_MS'));
  });
});
