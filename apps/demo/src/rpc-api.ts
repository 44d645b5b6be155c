/**
 * @module
 * The JSON of the routes that call the demo's services (estimate-routes.ts, and
 * `GET /operator/rpc` in operator-routes.ts), in one place for the server that
 * writes it and the page that reads it. Types only: free of Node, so the page can
 * import them.
 */

import type { Estimate } from './kitchen-contract.js';
import type { PrinterStatusAnswer } from './printer-contract.js';

/** `GET /orders/:orderId/estimate?restaurant=`: the kitchen's answer. */
export interface EstimateView {
  order_id: string;
  restaurant: string;
  estimate: Estimate;
}

/**
 * A call that did not give an answer, as a route tells it: `rpc_error` (the service
 * refused: its JSON-RPC `rpc_code` and `data`), `rpc_timeout` (no answer in time) or
 * `rpc_transport` (the call could not be sent or its answer read).
 */
export interface CallErrorView {
  error: {
    code: 'rpc_error' | 'rpc_timeout' | 'rpc_transport';
    message: string;
    /** `<service>.<method>` */
    method: string;
    rpc_code?: number;
    data?: unknown;
  };
}

/** The kitchen service as its supervisor sees it (kitchen-supervisor.ts). */
export interface KitchenStatus {
  /** `process`: its own process (Redis); `in-process`: inside the demo (memory store). */
  mode: 'process' | 'in-process';
  /** Its name in the `kitchen` group (`kitchen-<pid>`). */
  name: string;
  pid: number | null;
  state: 'starting' | 'running' | 'stopped';
}

/** The server's record of its calls to one method (call-record.ts). */
export interface CallStats {
  /** `<service>.<method>` */
  method: string;
  /** Calls since the server started, answered or not. */
  calls: number;
  errors: number;
  /** Errors by kind: `rpc_timeout`, `rpc_transport`, `rpc_error -32000`… */
  errors_by_code: Record<string, number>;
  /** Latency percentiles over the latest `window` calls (from sending to the answer, or giving up); null before any. */
  p50_ms: number | null;
  p99_ms: number | null;
  window: number;
}

/** `GET /operator/rpc` */
export interface RpcView {
  /** How long the server waits for an answer (`RPC_TIMEOUT_MS`). */
  timeout_ms: number;
  /** Null when the demo runs without a kitchen (`KITCHEN=off`). */
  kitchen: KitchenStatus | null;
  /** The printer's answer to `printer.status` (or why there is none); null when the demo runs without a printer. */
  printer_status: { status: PrinterStatusAnswer } | CallErrorView | null;
  calls: CallStats[];
}
