// The contract of chaos.test.ts's processes: one method, whose answer names the call
// it answers (so a reply that reached the wrong call would show).
import { z } from 'zod';
import { defineContract, defineMethod } from '../../dist/index.js';

export const chaosContract = defineContract('chaos', {
  work: defineMethod({
    params: z.object({ caller: z.string(), n: z.number().int(), sleepMs: z.number().int().nonnegative() }),
    result: z.object({ caller: z.string(), n: z.number().int() }),
  }),
});
