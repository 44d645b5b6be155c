// The contract the tests (and the Python interop peer) use: clamator's interop
// contract, and a notification, a nested object, an enum and an optional field,
// so the codegen meets each shape.
import { z } from 'zod';
import { defineContract, defineMethod, defineNotification } from '../../contract.js';

export const arithContract = defineContract('arith', {
  add: defineMethod({
    params: z.object({ a: z.number(), b: z.number() }),
    result: z.object({ sum: z.number() }),
  }),
  slowAdd: defineMethod({
    params: z.object({ a: z.number(), b: z.number(), sleepMs: z.number().int().nonnegative() }),
    result: z.object({ sum: z.number() }),
  }),
  divide: defineMethod({
    params: z.object({ a: z.number(), b: z.number() }),
    result: z.object({ q: z.number() }),
  }),
  echoText: defineMethod({
    params: z.object({ text: z.string() }),
    result: z.object({ text: z.string() }),
  }),
  describe: defineMethod({
    params: z.object({ orderId: z.string(), priority: z.enum(['low', 'high']).optional() }),
    result: z.object({
      orderId: z.string(),
      lines: z.array(z.object({ itemName: z.string(), qty: z.number().int() })),
      note: z.string().nullable(),
    }),
  }),
  ping: defineNotification({ params: z.object({ tag: z.string().optional() }) }),
});
