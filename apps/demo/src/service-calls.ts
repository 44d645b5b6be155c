/**
 * @module
 * The demo server's calls to its services over the rail (`@replayrail/rpc`): one
 * `RpcClient` for the server, `kitchen.estimate` and `printer.status` through their
 * contracts, each with the server's timeout (`RPC_TIMEOUT_MS`) and each recorded,
 * answered or not, in the server's call record (call-record.ts) for the operator's view.
 */

import type { ReplayRail } from '@replayrail/core';
import { type ClientProxy, RpcClient } from '@replayrail/rpc';
import { CallRecord } from './call-record.js';
import { type Estimate, type EstimateParams, kitchenContract } from './kitchen-contract.js';
import { type PrinterStatusAnswer, printerContract } from './printer-contract.js';
import type { RpcLimits } from './rpc-limits.js';

/** The methods the server calls, as the record lists them from the start. */
export const CALLED_METHODS = ['kitchen.estimate', 'printer.status'] as const;

export class ServiceCalls {
  readonly record: CallRecord;
  readonly timeoutMs: number;
  readonly #client: RpcClient;
  readonly #kitchen: ClientProxy<typeof kitchenContract>;
  readonly #printer: ClientProxy<typeof printerContract>;

  private constructor(client: RpcClient, limits: RpcLimits) {
    this.#client = client;
    this.timeoutMs = limits.timeoutMs;
    this.record = new CallRecord(CALLED_METHODS, limits.latencyWindow);
    this.#kitchen = client.proxy(kitchenContract);
    this.#printer = client.proxy(printerContract);
  }

  /** The server's client, its reply stream made and read. */
  static async start(rail: ReplayRail, limits: RpcLimits): Promise<ServiceCalls> {
    const client = new RpcClient({ rail, defaultTimeoutMs: limits.timeoutMs });
    await client.start();
    return new ServiceCalls(client, limits);
  }

  /** `kitchen.estimate`: the order's estimate, or an `RpcError`, `RpcTimeoutError` or `RpcTransportError`. */
  estimate(params: EstimateParams): Promise<Estimate> {
    return this.#timed('kitchen.estimate', () => this.#kitchen.estimate(params, { timeoutMs: this.timeoutMs }));
  }

  /** `printer.status`: the printer's own word on what it is doing. */
  printerStatus(): Promise<PrinterStatusAnswer> {
    return this.#timed('printer.status', () => this.#printer.status({}, { timeoutMs: this.timeoutMs }));
  }

  /** Calls still waiting reject with `RpcTransportError`; its reply stream is deleted. */
  stop(): Promise<void> {
    return this.#client.stop();
  }

  async #timed<T>(method: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const answer = await call();
      this.record.add(method, performance.now() - started);
      return answer;
    } catch (error) {
      this.record.add(method, performance.now() - started, error);
      throw error;
    }
  }
}
