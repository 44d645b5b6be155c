/**
 * @module
 * `@replayrail/rpc`: typed calls between services over ReplayRail, JSON-RPC 2.0 on
 * a command stream per service, wire-compatible with clamator.
 */

export { RpcError, RpcTimeoutError, RpcTransportError } from '@replayrail/core/errors';
export type { CallOptions, ClientProxy, RpcClientOptions } from './client.js';
export { RpcClient } from './client.js';
export type {
  Contract,
  Definition,
  MethodDefinition,
  NotificationDefinition,
  ParamsOf,
  ResultOf,
} from './contract.js';
export {
  defineContract,
  defineMethod,
  defineNotification,
  isContract,
  isNotification,
  METHOD_NAME,
  SERVICE_NAME,
} from './contract.js';
export type { CallContext, Handlers, RpcServerOptions, ServeOptions } from './server.js';
export { RpcServer } from './server.js';
export { RPC_CODES } from './wire.js';
