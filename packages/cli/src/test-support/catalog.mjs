// An application's event catalog, as `publish --catalog` loads it (tests only).
import { z } from 'zod';

export const catalog = {
  'order.created': z.object({ order_id: z.string(), items: z.array(z.string()).default([]) }),
};
