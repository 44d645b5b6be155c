/**
 * @module
 * `RpcClient`: calls services on a rail. A call is a command entry on the service's
 * stream, answered on this client's own reply stream, which it reads while it runs
 * and keeps alive while it reads: a client that crashed leaves a stream that expires
 * by itself, and servers never write to a stream that is gone. Every call ends once:
 * with its result, an `RpcError`, an `RpcTimeoutError`, an `RpcTransportError`, or
 * its signal's reason.
 */

import { InvalidRequestError, type ReplayRail, type ReplayRailError } from '@replayrail/core';
import { ConfigError, RpcError, RpcTimeoutError, RpcTransportError } from '@replayrail/core/errors';
import { type Cause, correlationOf } from '@replayrail/core/lineage';
import { integerOption, type RawStreamEntry, type RawStreams, type StreamRef } from '@replayrail/core/store';
import type { RpcScope } from '@replayrail/core/telemetry';
import type { z } from 'zod';
import {
  type Contract,
  type Definition,
  isNotification,
  METHOD_NAME,
  type MethodDefinition,
  type NotificationDefinition,
  SERVICE_NAME,
} from './contract.js';
import {
  type CommandExtras,
  commandChannel,
  commandFields,
  parseReply,
  type Reply,
  RPC_CODES,
  replyChannel,
  requestEnvelope,
} from './wire.js';

/** Options of one call. */
export interface CallOptions {
  /** How long to wait for the answer; the server does not start the call after it. @default the client's defaultTimeoutMs */
  timeoutMs?: number;
  /**
   * Aborting stops waiting (the call rejects with the signal's reason). The server is
   * not told: a call already started runs to its end (its answer is dropped), one not
   * started yet still runs unless its deadline has passed.
   */
  signal?: AbortSignal;
  /**
   * The event this call is an effect of (docs/lineage.md): its correlation and event_id
   * travel with the call, and what the handler publishes with `context.publish` names
   * that event as its cause.
   */
  causedBy?: Cause;
}

/** A typed proxy of a contract: one function per method. */
export type ClientProxy<C extends Contract> = {
  [Name in keyof C['methods']]: C['methods'][Name] extends infer D extends Definition
    ? D extends NotificationDefinition
      ? (params: z.input<D['params']>) => Promise<void>
      : (params: z.input<D['params']>, options?: CallOptions) => Promise<z.output<(D & MethodDefinition)['result']>>
    : never;
};

/** Options of `RpcClient`. */
export interface RpcClientOptions {
  rail: ReplayRail;
  /** Names this client's reply stream (`<prefix>:replies:<instanceId>`). @default a random UUID */
  instanceId?: string;
  /** A call's wait when it gives none. @default 30000 (clamator's) */
  defaultTimeoutMs?: number;
  /**
   * How long the reply stream outlives a client that stops reading it without
   * `stop()` (it crashed): renewed while the client runs. @default 60000
   */
  replyStreamTtlMs?: number;
  /** Told of replies that could not be read, and of the reply stream failing (the client retries). @default console.error */
  onError?: (error: ReplayRailError) => void;
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
}

const positive = (value: number | undefined, fallback: number, field: string) =>
  integerOption('RpcClient', field, value, fallback);

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Calls services on a rail.
 *
 * @example
 * const client = new RpcClient({ rail });
 * await client.start();
 * const arith = client.proxy(arithContract);
 * const { sum } = await arith.add({ a: 2, b: 3 }, { timeoutMs: 5_000 });
 */
export class RpcClient {
  readonly instanceId: string;
  readonly #rail: ReplayRail;
  readonly #raw: RawStreams;
  readonly #replies: StreamRef;
  readonly #timeoutMs: number;
  readonly #ttlMs: number;
  readonly #onError: (error: ReplayRailError) => void;
  readonly #pending = new Map<string, Pending>();
  #state: 'idle' | 'started' | 'stopped' = 'idle';
  #stop = new AbortController();
  #reading: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #last = '0-0';

  constructor(options: RpcClientOptions) {
    const raw = options?.rail?.store?.raw;
    if (raw === undefined) {
      throw new ConfigError('invalid RpcClient option: rail: a rail whose store has raw streams (store.raw)', {
        context: { field: 'rail' },
      });
    }
    this.#rail = options.rail;
    this.#raw = raw;
    this.instanceId = options.instanceId ?? crypto.randomUUID();
    this.#replies = { prefix: options.rail.config.streamPrefix, channel: replyChannel(this.instanceId) };
    this.#timeoutMs = positive(options.defaultTimeoutMs, 30_000, 'defaultTimeoutMs');
    this.#ttlMs = positive(options.replyStreamTtlMs, 60_000, 'replyStreamTtlMs');
    const onError = options.onError ?? ((error) => console.error(`replayrail rpc: ${error.code}: ${error.message}`));
    this.#onError = (error) => {
      try {
        onError(error);
      } catch {
        // A failing logger must not take a call down with it.
      }
    };
  }

  /** The key servers send this client's replies to. */
  get replyTo(): string {
    return this.#raw.keyOf(this.#replies);
  }

  /** Makes the reply stream and starts reading it. Idempotent (two at once start it once); after `stop()` it throws. */
  start(): Promise<void> {
    if (this.#state === 'stopped')
      return Promise.reject(new InvalidRequestError('this client was stopped: make a new one'));
    this.#starting ??= (async () => {
      await this.#raw.keep(this.#replies, this.#ttlMs);
      if (this.#state !== 'idle') {
        // Stopped while the stream was being made: leave nothing behind.
        await this.#raw.delete(this.#replies);
        return;
      }
      this.#state = 'started';
      this.#reading = this.#readReplies(this.#stop.signal);
    })();
    // A failed start (Redis away) may be tried again.
    this.#starting.catch(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Stops reading; calls still waiting reject with `RpcTransportError`; the reply stream is deleted. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    const wasStarted = this.#state === 'started';
    this.#state = 'stopped';
    this.#stop.abort(new RpcTransportError('the client stopped'));
    await this.#reading;
    for (const pending of this.#pending.values())
      pending.reject(new RpcTransportError('the client stopped before the answer came'));
    this.#pending.clear();
    if (wasStarted) await this.#raw.delete(this.#replies);
  }

  /** A typed proxy: `await client.proxy(arith).add({ a, b }, { timeoutMs })`. */
  proxy<C extends Contract>(contract: C): ClientProxy<C> {
    const proxy: Record<string, unknown> = {};
    for (const [name, definition] of Object.entries(contract.methods)) {
      proxy[name] = isNotification(definition)
        ? (params: unknown) => this.#notifyChecked(contract.service, name, definition, params)
        : (params: unknown, options?: CallOptions) =>
            this.#callChecked(contract.service, name, definition as MethodDefinition, params, options);
    }
    return proxy as ClientProxy<C>;
  }

  /** Calls `<service>.<method>` with params as they are (no contract); resolves to the result as sent. */
  async call(service: string, method: string, params: unknown, options: CallOptions = {}): Promise<unknown> {
    checkNames(service, method);
    const timeoutMs = positive(options.timeoutMs, this.#timeoutMs, 'timeoutMs');
    const reply = await this.#send(
      service,
      method,
      params,
      timeoutMs,
      options.signal,
      causationFields(options.causedBy),
    );
    if (reply.kind === 'error') throw new RpcError(reply.code, reply.message, reply.data);
    return (reply as Extract<Reply, { kind: 'result' }>).result;
  }

  /** Sends a notification to `<service>.<method>`; resolves once it is stored. */
  async notify(service: string, method: string, params: unknown): Promise<void> {
    checkNames(service, method);
    this.#assertStarted();
    await this.#append(service, requestEnvelope(`${service}.${method}`, params), {});
  }

  async #callChecked(
    service: string,
    name: string,
    definition: MethodDefinition,
    params: unknown,
    options: CallOptions = {},
  ): Promise<unknown> {
    // Checked here as the server checks it: a call that cannot succeed is not sent.
    const checked = definition.params.safeParse(params);
    if (!checked.success) {
      throw new RpcError(RPC_CODES.invalidParams, 'Invalid params', {
        name: 'ZodError',
        message: checked.error.message,
      });
    }
    const result = await this.call(service, name, params, options);
    const typed = definition.result.safeParse(result);
    if (!typed.success) {
      throw new RpcError(RPC_CODES.internalError, 'Result validation failed', {
        name: 'ZodError',
        message: typed.error.message,
      });
    }
    return typed.data;
  }

  async #notifyChecked(service: string, name: string, definition: Definition, params: unknown): Promise<void> {
    const checked = definition.params.safeParse(params);
    if (!checked.success) {
      throw new RpcError(RPC_CODES.invalidParams, 'Invalid params', {
        name: 'ZodError',
        message: checked.error.message,
      });
    }
    await this.notify(service, name, params);
  }

  #assertStarted(): void {
    if (this.#state !== 'started') {
      throw new InvalidRequestError(
        this.#state === 'idle' ? 'call start() before calling' : 'this client was stopped: make a new one',
      );
    }
  }

  // Sends a call and waits for its reply, its deadline or its signal: one of them, once.
  async #send(
    service: string,
    method: string,
    params: unknown,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    causation: Pick<CommandExtras, 'correlationId' | 'causationId'>,
  ): Promise<Reply> {
    this.#assertStarted();
    signal?.throwIfAborted();
    const id = crypto.randomUUID();
    const deadline = Date.now() + timeoutMs;
    const scope = this.#rail.telemetry?.rpcCall({ service, method });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const answered = new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // The timer runs on the monotonic clock in whole milliseconds and can fire while
      // `Date.now()` still equals the deadline, which a server (checking `now > deadline`)
      // still serves: it is re-armed until the deadline has passed on the clock the server
      // reads, so a call reported timed out is never started afterwards.
      const expire = () => {
        const left = deadline - Date.now();
        if (left >= 0) {
          timer = setTimeout(expire, left + 1);
          return;
        }
        reject(
          new RpcTimeoutError(`${service}.${method} was not answered within ${timeoutMs} ms`, {
            context: { id, timeoutMs },
          }),
        );
      };
      timer = setTimeout(expire, timeoutMs);
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const sent = this.#append(service, requestEnvelope(`${service}.${method}`, params, id), {
        replyTo: this.replyTo,
        deadline,
        ...(scope?.carrier?.traceparent !== undefined && { traceparent: scope.carrier.traceparent }),
        ...(scope?.carrier?.tracestate !== undefined && { tracestate: scope.carrier.tracestate }),
        ...causation,
      });
      // The call ends at its deadline or signal even while the command is still being
      // sent (Redis stalled): the send's own failure, if it comes later, is dropped.
      sent.catch(() => {});
      const reply = await Promise.race([sent.then(() => answered), answered]);
      settle(scope, reply.kind === 'error' ? new RpcError(reply.code, reply.message, reply.data) : undefined);
      return reply;
    } catch (error) {
      settle(scope, error);
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(id);
    }
  }

  async #append(service: string, envelope: string, extras: CommandExtras): Promise<void> {
    try {
      // Trimmed like every channel of the rail (clamator never trims its command streams).
      const maxLength = this.#rail.config.maxStreamLength ?? undefined;
      await this.#raw.append(
        { prefix: this.#rail.config.streamPrefix, channel: commandChannel(service) },
        commandFields(envelope, extras),
        maxLength === undefined ? {} : { maxLength },
      );
    } catch (error) {
      throw new RpcTransportError(`the call to ${service} could not be sent: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  // Reads this client's replies until it stops, renewing the stream's life as it goes.
  async #readReplies(signal: AbortSignal): Promise<void> {
    let renewAt = Date.now() + this.#ttlMs / 3;
    let pause = 50;
    while (!signal.aborted) {
      try {
        if (Date.now() >= renewAt) {
          await this.#raw.keep(this.#replies, this.#ttlMs);
          renewAt = Date.now() + this.#ttlMs / 3;
        }
        const entries = await this.#raw.read(this.#replies, {
          after: this.#last,
          blockMs: Math.max(1, Math.min(this.#rail.config.readBlockMs, Math.floor(this.#ttlMs / 3))),
          limit: 256,
          signal,
        });
        for (const entry of entries) this.#deliver(entry);
        pause = 50;
      } catch (error) {
        if (signal.aborted) return;
        this.#onError(new RpcTransportError(`reading replies failed: ${(error as Error).message}`, { cause: error }));
        await sleep(pause, signal);
        pause = Math.min(pause * 2, 2_000);
      }
    }
  }

  #deliver(entry: RawStreamEntry): void {
    this.#last = entry.id;
    if (entry.fields.type !== 'rpc') return; // not a reply (the stream's own making)
    const reply = parseReply(entry.fields);
    if (reply.kind === 'invalid') {
      this.#onError(
        new RpcTransportError(`reply ${entry.id} cannot be read: ${reply.reason}`, { context: { id: entry.id } }),
      );
      return;
    }
    // A late reply (its call gave up) or one for another client finds no one: dropped.
    if (reply.id !== undefined) this.#pending.get(reply.id)?.resolve(reply);
  }
}

function checkNames(service: string, method: string): void {
  if (!SERVICE_NAME.test(service))
    throw new InvalidRequestError(`a service name must match ${SERVICE_NAME}, got ${JSON.stringify(service)}`);
  if (!METHOD_NAME.test(method))
    throw new InvalidRequestError(`a method name must match ${METHOD_NAME}, got ${JSON.stringify(method)}`);
}

function settle(scope: RpcScope | undefined, error?: unknown): void {
  scope?.settled(error);
}

// The lineage fields a call caused by `cause` carries: its correlation (the cause's
// own event_id when it has none) and the cause's event_id, as `causedBy` sets them.
function causationFields(cause: Cause | undefined): Pick<CommandExtras, 'correlationId' | 'causationId'> {
  if (cause === undefined) return {};
  if (typeof cause !== 'object' || cause === null || typeof cause.event_id !== 'string' || cause.event_id === '') {
    throw new InvalidRequestError('causedBy must be an event: an object with its event_id and metadata');
  }
  return { correlationId: correlationOf(cause) ?? cause.event_id, causationId: cause.event_id };
}
