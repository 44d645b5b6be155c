import { sampleOrder } from '../common.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type HttpStoreKind = 'memory' | 'redis';

/** The event every request publishes: an order of about 200 bytes. */
export function publishBody() {
  return { type: 'order.created', payload: sampleOrder(1), metadata: { correlation_id: 'req_abc123' } };
}
