/**
 * @module
 * `RpcServer`: serves contracts on a rail. Each service's processes are consumers
 * of one group on its command stream (`rail.consume`, raw entries), so they share
 * its calls as a worker pool with the consumers' guarantees: a call is acknowledged
 * only once answered, a slow handler keeps its claim while it runs (never two runs
 * at once), a process that dies gives its calls to another, a call that keeps
 * failing ends in the group's dead letters. Each call is checked in clamator's
 * order: parse, look up, params, handler, result.
 */

import {
  type Consumer,
  type HandlerContext,
  InvalidRequestError,
  isReplayRailError,
  type PublishInput,
  type RawEntry,
  type ReplayRail,
  type ReplayRailError,
  type StoredEvent,
} from '@replayrail/core';
import { ConfigError, RpcError } from '@replayrail/core/errors';
import { CORRELATION_ID } from '@replayrail/core/lineage';
import type { RawStreams } from '@replayrail/core/store';
import type { z } from 'zod';
import { type Contract, type Definition, isNotification, type MethodDefinition } from './contract.js';
import {
  type Command,
  commandChannel,
  consumerName,
  errorEnvelope,
  type InvalidCommand,
  parseCommand,
  RPC_CODES,
  type RpcId,
  replyChannel,
  replyFields,
  resultEnvelope,
} from './wire.js';

/** What a handler is told besides its params. */
export interface CallContext {
  readonly service: string;
  readonly method: string;
  /** The call's id; undefined for a notification. */
  readonly id: RpcId | undefined;
  /** This delivery's number: 1, then more after a failure or a process that died. */
  readonly attempt: number;
  /** When the caller gives up (epoch ms), if it said so. */
  readonly deadline: number | undefined;
  /**
   * Aborted when the answer no longer counts: another process took the call over,
   * or this server stopped and its grace ran out. Pass it on, or check it.
   */
  readonly signal: AbortSignal;
  /** The workflow the call belongs to, when its caller named the event that caused it (docs/lineage.md). */
  readonly correlationId: string | undefined;
  /** The event_id of the event that caused the call, when its caller named it. */
  readonly causationId: string | undefined;
  /**
   * Publishes on the server's rail an event caused by what caused the call: it goes
   * on with the call's correlation and names the call's cause as its own, so a
   * lineage shows it as that event's effect. A call without a cause publishes as is.
   */
  publish(input: Omit<PublishInput, 'causedBy'>): Promise<StoredEvent>;
}

type MaybePromise<T> = T | Promise<T>;

/** A handler for each method of a contract, typed by its schemas. */
export type Handlers<C extends Contract> = {
  [Name in keyof C['methods']]: C['methods'][Name] extends infer D extends Definition
    ? D extends MethodDefinition
      ? (params: z.output<D['params']>, context: CallContext) => MaybePromise<z.input<D['result']>>
      : (params: z.output<D['params']>, context: CallContext) => MaybePromise<void>
    : never;
};

/** How one service is served. */
export interface ServeOptions {
  /**
   * Calls handled at once by this process. @default 1: one at a time, in stream
   * order, as a clamator server handles them, so a service moved from clamator
   * behaves the same; raise it for throughput, with `orderingKey` for the calls that
   * must stay in order.
   */
  concurrency?: number;
  /** Calls with the same key run one at a time, in stream order (within this process). */
  orderingKey?: (call: { readonly method: string; readonly params: unknown }) => string | null | undefined;
  /** Runs of a handler that throws (not an `RpcError`) before the call is answered -32603 and dead. @default 3 */
  maxAttempts?: number;
  /** A call untouched this long by a process (it died) is taken over by another. @default 30000 */
  claimIdleMs?: number;
  /** A process of the service gone this long, holding no call, is removed from its group. @default 600000 (the consumers') */
  removeIdleConsumersAfterMs?: number;
}

/** Options of `RpcServer`. */
export interface RpcServerOptions {
  rail: ReplayRail;
  /** This process's name in each service's group (`<service>:<instanceId>`). @default a random UUID */
  instanceId?: string;
  /**
   * Told of what went wrong on the server's side: a handler that threw, an entry that
   * is not a call, a reply that could not be written. Never throws into the server.
   * @default console.error
   */
  onError?: (error: ReplayRailError) => void;
}

/** Replies trimmed to about this many per client stream, as clamator trims them. */
const REPLY_STREAM_LENGTH = 1024;

function logError(error: ReplayRailError): void {
  console.error(`replayrail rpc: ${error.code}: ${error.message}`, error.cause ?? '');
}

/** What an error becomes as a reply's `data`: its name and message (as clamator's TypeScript sends them). */
function errorData(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Error', message: String(error) };
}

interface Service {
  readonly contract: Contract;
  readonly handlers: Readonly<Record<string, (params: unknown, context: CallContext) => unknown>>;
  readonly options: ServeOptions;
  consumer?: Consumer;
}

/**
 * Serves contracts on a rail, as one process of each service's worker pool.
 *
 * @example
 * const server = new RpcServer({ rail });
 * server.serve(arith, { add: ({ a, b }) => ({ sum: a + b }), ping: () => {} });
 * await server.start();
 * // on shutdown:
 * await server.stop({ graceMs: 5_000 });
 */
export class RpcServer {
  readonly instanceId: string;
  readonly #rail: ReplayRail;
  readonly #raw: RawStreams;
  readonly #onError: (error: ReplayRailError) => void;
  readonly #services = new Map<string, Service>();
  #state: 'idle' | 'started' | 'stopped' = 'idle';

  constructor(options: RpcServerOptions) {
    if (typeof options?.rail?.consume !== 'function') {
      throw new ConfigError('invalid RpcServer option: rail is required', { context: { field: 'rail' } });
    }
    const raw = options.rail.store.raw;
    if (raw === undefined) {
      throw new ConfigError('invalid RpcServer option: rail: its store has no raw streams (store.raw)', {
        context: { field: 'rail' },
      });
    }
    this.#rail = options.rail;
    this.#raw = raw;
    this.instanceId = options.instanceId ?? crypto.randomUUID();
    const onError = options.onError ?? logError;
    this.#onError = (error) => {
      try {
        onError(error);
      } catch {
        // A failing logger must not take a call down with it.
      }
    };
  }

  /** Serves a contract with its handlers (one per method). A service is served once per server. */
  serve<C extends Contract>(contract: C, handlers: Handlers<C>, options: ServeOptions = {}): this {
    if (this.#state !== 'idle') throw new InvalidRequestError('serve() comes before start()');
    if (this.#services.has(contract.service)) {
      throw new InvalidRequestError(`service ${JSON.stringify(contract.service)} is served already`);
    }
    for (const name of Object.keys(contract.methods)) {
      if (typeof (handlers as Record<string, unknown>)[name] !== 'function') {
        throw new InvalidRequestError(`${contract.service}.${name} has no handler`);
      }
    }
    this.#services.set(contract.service, {
      contract,
      handlers: handlers as Service['handlers'],
      options,
    });
    return this;
  }

  /** Starts each service's consumer: its group is made at the start of its stream if it has none. Idempotent. */
  async start(): Promise<void> {
    if (this.#state === 'started') return;
    if (this.#state === 'stopped') throw new InvalidRequestError('this server was stopped: make a new one');
    this.#state = 'started';
    for (const service of this.#services.values()) {
      const { options } = service;
      service.consumer = this.#rail.consume({
        raw: true,
        channel: commandChannel(service.contract.service),
        group: service.contract.service,
        consumer: consumerName(service.contract.service, this.instanceId),
        // Calls sent before any process of the service ever ran are served too.
        from: 'earliest',
        concurrency: options.concurrency ?? 1,
        maxDeliveries: options.maxAttempts ?? 3,
        backoff: { initialMs: 100, maxMs: 2_000 },
        ...(options.claimIdleMs !== undefined && { claimIdleMs: options.claimIdleMs }),
        ...(options.removeIdleConsumersAfterMs !== undefined && {
          removeIdleConsumersAfterMs: options.removeIdleConsumersAfterMs,
        }),
        ...(options.orderingKey !== undefined && { orderingKey: orderingKeyOf(options.orderingKey) }),
        onError: this.#onError,
        handler: (entry, context) => this.#handle(service, entry, context),
      });
      await service.consumer.start();
    }
  }

  /**
   * Stops taking calls; running handlers get `graceMs` to finish (and are answered),
   * the rest stay pending for another process. Idempotent.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    await Promise.all(
      [...this.#services.values()].map((service) => service.consumer?.stop({ graceMs: options.graceMs ?? 5_000 })),
    );
  }

  async #handle(service: Service, entry: RawEntry, context: HandlerContext): Promise<void> {
    const command = parseCommand(entry.fields);
    if (command.kind === 'invalid') return this.#refuse(command, entry, context);
    const definition =
      command.service === service.contract.service ? service.contract.methods[command.name] : undefined;
    if (definition === undefined) {
      // Answered, as clamator answers it: nothing to retry.
      return this.#reply(command, errorEnvelope(command.id ?? null, RPC_CODES.methodNotFound, 'Method not found'));
    }
    const call = { service: command.service, method: command.name };
    const telemetry = this.#rail.telemetry;
    if (command.deadline !== undefined && Date.now() > command.deadline) {
      // The caller has given up: the call is neither started nor answered.
      telemetry?.rpcExpired(call);
      return;
    }
    const parent =
      command.traceparent === undefined
        ? undefined
        : {
            traceparent: command.traceparent,
            ...(command.tracestate !== undefined && { tracestate: command.tracestate }),
          };
    const scope = telemetry?.rpcServe(call, parent);
    const answer = () => this.#answer(service, definition, command, context);
    try {
      const answered = await (scope === undefined ? answer() : scope.run(answer));
      scope?.settled(answered);
    } catch (error) {
      scope?.settled(error);
      throw error;
    }
  }

  // Checks the params, runs the handler and checks its result; replies. Resolves to
  // the error the call was answered with (undefined for a result); throws to retry.
  async #answer(service: Service, definition: Definition, command: Command, context: HandlerContext): Promise<unknown> {
    const id = command.id ?? null;
    const params = definition.params.safeParse(command.params);
    if (!params.success) {
      const data = { name: 'ZodError', message: params.error.message };
      await this.#reply(command, errorEnvelope(id, RPC_CODES.invalidParams, 'Invalid params', data));
      return new RpcError(RPC_CODES.invalidParams, 'Invalid params', data);
    }
    let result: unknown;
    try {
      result = await (service.handlers[command.name] as Service['handlers'][string])(params.data, {
        service: command.service,
        method: command.name,
        id: command.id,
        attempt: context.attempt,
        deadline: command.deadline,
        signal: context.signal,
        correlationId: command.correlationId,
        causationId: command.causationId,
        publish: (input) => this.#rail.publish(causedByCall(input, command)),
      });
    } catch (error) {
      if (isReplayRailError(error, 'rpc_error')) {
        const thrown = error as RpcError;
        await this.#reply(command, errorEnvelope(id, thrown.rpcCode, thrown.message, thrown.data));
        return thrown;
      }
      // Its last attempt: the caller is told, and the call is dead (the consumer buries it).
      if (context.attempt >= (service.options.maxAttempts ?? 3)) {
        await this.#reply(command, errorEnvelope(id, RPC_CODES.internalError, 'Internal error', errorData(error)));
      }
      throw error;
    }
    if (isNotification(definition)) return undefined;
    const checked = (definition as MethodDefinition).result.safeParse(result);
    if (!checked.success) {
      const data = { name: 'ZodError', message: checked.error.message };
      await this.#reply(command, errorEnvelope(id, RPC_CODES.internalError, 'Result validation failed', data));
      context.deadLetter(new TypeError(`${command.method}: result validation failed: ${checked.error.message}`));
      return new RpcError(RPC_CODES.internalError, 'Result validation failed', data);
    }
    await this.#reply(command, resultEnvelope(command.id as RpcId, checked.data));
    return undefined;
  }

  // An entry that is not a call: answered when it can be (clamator drops it silently,
  // and its caller waits for its timeout), and put in the dead letters with why.
  async #refuse(command: InvalidCommand, entry: RawEntry, context: HandlerContext): Promise<void> {
    if (command.id !== undefined) {
      const message = command.code === RPC_CODES.parseError ? 'Parse error' : 'Invalid Request';
      await this.#reply(command, errorEnvelope(command.id, command.code, message, { message: command.reason }));
    }
    context.deadLetter(new SyntaxError(`${entry.channel} ${entry.id} is not a call: ${command.reason}`));
  }

  // A reply goes to the caller's stream, only if it is still there: a stopped
  // client's stream (deleted, or expired after its crash) is not made again.
  async #reply(command: Pick<Command | InvalidCommand, 'replyTo' | 'kind'>, envelope: string): Promise<void> {
    if (command.kind === 'notification' || command.replyTo === undefined) return;
    const stream = this.#raw.streamOf(command.replyTo, this.#rail.config.streamPrefix);
    if (stream === undefined || !stream.channel.startsWith(replyChannel(''))) {
      this.#onError(
        new InvalidRequestError(`reply-to ${JSON.stringify(command.replyTo)} is not a reply stream of this rail`, {
          context: { replyTo: command.replyTo },
        }),
      );
      return;
    }
    await this.#raw.append(stream, replyFields(envelope), { mustExist: true, maxLength: REPLY_STREAM_LENGTH });
  }
}

// The server's ordering key, on a raw entry: its envelope's method and params.
function orderingKeyOf(key: NonNullable<ServeOptions['orderingKey']>): (entry: RawEntry) => string | null | undefined {
  return (entry) => {
    const command = parseCommand(entry.fields);
    return command.kind === 'invalid' ? undefined : key({ method: command.name, params: command.params });
  };
}

// A handler's publish as an effect of what caused its call: that event's event_id as
// the cause, in the call's correlation (docs/lineage.md).
function causedByCall(input: Omit<PublishInput, 'causedBy'>, command: Command): PublishInput {
  const { correlationId, causationId } = command;
  if (causationId === undefined) return input;
  const metadata = correlationId === undefined ? {} : { [CORRELATION_ID]: correlationId };
  return { ...input, causedBy: { event_id: causationId, metadata } };
}
