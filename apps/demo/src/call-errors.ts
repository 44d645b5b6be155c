/**
 * @module
 * A failed call to a service, as an HTTP answer (rpc-api.ts's `CallErrorView`):
 *
 * - 422 `rpc_error`: the service refused the request with its own error
 *   (JSON-RPC's server range, -32000 to -32099: the kitchen's `no_items`), its
 *   `rpc_code` and `data` passed on;
 * - 502 `rpc_error`: the service failed (JSON-RPC's own codes: internal error,
 *   invalid params, method not found);
 * - 504 `rpc_timeout`: no answer within `RPC_TIMEOUT_MS` (the service is down, or
 *   too busy);
 * - 502 `rpc_transport`: the call could not be sent, or its answer read.
 */

import { isReplayRailError } from '@replayrail/core';
import type { RpcError } from '@replayrail/rpc';
import type { CallErrorView } from './rpc-api.js';

export interface CallErrorAnswer {
  status: 422 | 502 | 504;
  body: CallErrorView;
}

// JSON-RPC 2.0 leaves these to the application.
const isServerDefined = (code: number) => code <= -32_000 && code >= -32_099;

/** The answer for a call of `method` that failed with `error`; undefined for an error that is not a call's. */
export function callErrorAnswer(error: unknown, method: string): CallErrorAnswer | undefined {
  if (isReplayRailError(error, 'rpc_error')) {
    const { rpcCode, message, data } = error as RpcError;
    return {
      status: isServerDefined(rpcCode) ? 422 : 502,
      body: { error: { code: 'rpc_error', message, method, rpc_code: rpcCode, data } },
    };
  }
  if (isReplayRailError(error, 'rpc_timeout', 'rpc_transport')) {
    const { code, message } = error;
    return { status: code === 'rpc_timeout' ? 504 : 502, body: { error: { code, message, method } } };
  }
  return undefined;
}
