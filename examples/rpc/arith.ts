// The contract of the rpc package README's Python section: `replayrail-rpc codegen`
// turns it into examples/rpc/python/arith.py (committed, and checked fresh by the
// README's `--check` command).
import { defineContract, defineMethod, defineNotification } from '@replayrail/rpc';
import { z } from 'zod';

export const arith = defineContract('arith', {
  add: defineMethod({
    params: z.object({ a: z.number(), b: z.number() }),
    result: z.object({ sum: z.number() }),
  }),
  describeOrder: defineMethod({
    params: z.object({ orderId: z.string() }),
    result: z.object({ orderId: z.string(), itemCount: z.number().int() }),
  }),
  ping: defineNotification({ params: z.object({ tag: z.string() }) }),
});
