/**
 * @module
 * clamator's wire, which a clamator process and a ReplayRail one share on one
 * Redis (the package README, "The wire"): a command stream per service, a reply
 * stream per client, entries of `type`, `envelope` (JSON-RPC 2.0) and `reply-to`,
 * and JSON-RPC's error codes. What this package adds travels only as extra entry
 * fields, after clamator's, which its runtimes ignore: `deadline`, `traceparent`,
 * `tracestate`, `correlation_id`, `causation_id`.
 */

/** JSON-RPC 2.0's error codes, as clamator uses them. */
export const RPC_CODES = {
  /** The envelope is not JSON. */
  parseError: -32700,
  /** The envelope is JSON but not a request. */
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  /** The handler threw something other than an `RpcError`, or its result broke its schema. */
  internalError: -32603,
} as const;

/** The channel (under the rail's prefix) of a service's commands: `<prefix>:cmds:<service>`. */
export function commandChannel(service: string): string {
  return `cmds:${service}`;
}

/** The channel of a client's replies: `<prefix>:replies:<instanceId>`. */
export function replyChannel(instanceId: string): string {
  return `replies:${instanceId}`;
}

/** A server process's consumer in its service's group: `<service>:<instanceId>`. */
export function consumerName(service: string, instanceId: string): string {
  return `${service}:${instanceId}`;
}

/** The one value of `type` clamator writes (and reserves). */
export const ENTRY_TYPE = 'rpc';

/** A JSON-RPC id: clamator sends UUID strings; numbers are accepted, and matched as text. */
export type RpcId = string | number;

/** What a command entry carries besides its envelope: clamator's `reply-to`, and ours. */
export interface CommandExtras {
  /** The stream key the reply goes to (none for a notification). */
  readonly replyTo?: string;
  /** When the caller gives up, in epoch ms: a server does not start the call after it. */
  readonly deadline?: number;
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** The workflow the call belongs to, and the event_id of the event that caused it (docs/lineage.md). */
  readonly correlationId?: string;
  readonly causationId?: string;
}

/** A command entry's fields, in clamator's order (`type`, `envelope`, `reply-to`), ours after them. */
export function commandFields(envelope: string, extras: CommandExtras): Record<string, string> {
  const fields: Record<string, string> = { type: ENTRY_TYPE, envelope };
  if (extras.replyTo !== undefined) fields['reply-to'] = extras.replyTo;
  if (extras.deadline !== undefined) fields.deadline = String(extras.deadline);
  if (extras.traceparent !== undefined) fields.traceparent = extras.traceparent;
  if (extras.tracestate !== undefined) fields.tracestate = extras.tracestate;
  if (extras.correlationId !== undefined) fields.correlation_id = extras.correlationId;
  if (extras.causationId !== undefined) fields.causation_id = extras.causationId;
  return fields;
}

/** A reply entry's fields. */
export function replyFields(envelope: string): Record<string, string> {
  return { type: ENTRY_TYPE, envelope };
}

/** A request or notification envelope, compact (as clamator's TypeScript writes it). */
export function requestEnvelope(method: string, params: unknown, id?: RpcId): string {
  return JSON.stringify(id === undefined ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', method, params, id });
}

/** A success reply's envelope. */
export function resultEnvelope(id: RpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}

/** An error reply's envelope (`data` null when there is none, as clamator writes it). */
export function errorEnvelope(id: RpcId | null, code: number, message: string, data: unknown = null): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code, message, data } });
}

/** A command, read off its entry. */
export interface Command {
  readonly kind: 'call' | 'notification';
  /** `<service>.<method>` as sent. */
  readonly method: string;
  readonly service: string;
  readonly name: string;
  readonly params: unknown;
  /** Present on a call. */
  readonly id: RpcId | undefined;
  readonly replyTo: string | undefined;
  readonly deadline: number | undefined;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly correlationId: string | undefined;
  readonly causationId: string | undefined;
}

/** A command entry that is not one: why, and where an error reply could still go. */
export interface InvalidCommand {
  readonly kind: 'invalid';
  readonly code: typeof RPC_CODES.parseError | typeof RPC_CODES.invalidRequest;
  readonly reason: string;
  /** The id, when one could be read: an error reply can then be sent. */
  readonly id: RpcId | undefined;
  readonly replyTo: string | undefined;
}

const METHOD = /^([a-z][a-z0-9-]*)\.([a-z][a-zA-Z0-9-]*)$/;

function idOf(value: unknown): RpcId | undefined {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) ? value : undefined;
}

/** Reads a command entry as clamator's parser does (a JSON object, `jsonrpc` 2.0, `<service>.<method>`). */
export function parseCommand(fields: Readonly<Record<string, string>>): Command | InvalidCommand {
  const replyTo = fields['reply-to'] || undefined;
  const invalid = (code: InvalidCommand['code'], reason: string, id?: RpcId): InvalidCommand => ({
    kind: 'invalid',
    code,
    reason,
    id,
    replyTo,
  });
  const text = fields.envelope;
  if (text === undefined) return invalid(RPC_CODES.invalidRequest, 'the entry has no envelope');
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch (error) {
    return invalid(RPC_CODES.parseError, `the envelope is not JSON: ${(error as Error).message}`);
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    return invalid(RPC_CODES.invalidRequest, Array.isArray(envelope) ? 'batches are not supported' : 'not an object');
  }
  const { jsonrpc, method, params, id: rawId } = envelope as Record<string, unknown>;
  const hasId = rawId !== undefined && rawId !== null;
  const id = idOf(rawId);
  if (hasId && id === undefined) return invalid(RPC_CODES.invalidRequest, 'id must be a string or a number');
  if (jsonrpc !== '2.0') return invalid(RPC_CODES.invalidRequest, 'jsonrpc must be "2.0"', id);
  const parts = typeof method === 'string' ? METHOD.exec(method) : null;
  if (parts === null) return invalid(RPC_CODES.invalidRequest, 'method must be "<service>.<method>"', id);
  const deadline = fields.deadline === undefined ? undefined : Number(fields.deadline);
  return {
    kind: hasId ? 'call' : 'notification',
    method: method as string,
    service: parts[1] as string,
    name: parts[2] as string,
    params: params === undefined ? {} : params,
    id,
    replyTo,
    deadline: deadline !== undefined && Number.isFinite(deadline) ? deadline : undefined,
    traceparent: fields.traceparent || undefined,
    tracestate: fields.tracestate || undefined,
    correlationId: fields.correlation_id || undefined,
    causationId: fields.causation_id || undefined,
  };
}

/** A reply, read off its entry. */
export type Reply =
  | { readonly kind: 'result'; readonly id: string; readonly result: unknown }
  | {
      readonly kind: 'error';
      readonly id: string | undefined;
      readonly code: number;
      readonly message: string;
      readonly data: unknown;
    }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Reads a reply entry; ids are matched as text, as clamator matches them. */
export function parseReply(fields: Readonly<Record<string, string>>): Reply {
  let envelope: unknown;
  try {
    envelope = JSON.parse(fields.envelope ?? '');
  } catch {
    return { kind: 'invalid', reason: 'the envelope is not JSON' };
  }
  if (typeof envelope !== 'object' || envelope === null) return { kind: 'invalid', reason: 'not an object' };
  const { jsonrpc, id, result, error } = envelope as Record<string, unknown>;
  if (jsonrpc !== '2.0') return { kind: 'invalid', reason: 'jsonrpc must be "2.0"' };
  const key = idOf(id) === undefined ? undefined : String(id);
  if ('result' in (envelope as object) && error === undefined) {
    return key === undefined
      ? { kind: 'invalid', reason: 'a result without an id' }
      : { kind: 'result', id: key, result };
  }
  if (typeof error === 'object' && error !== null) {
    const { code, message, data } = error as Record<string, unknown>;
    if (typeof code === 'number' && Number.isInteger(code) && typeof message === 'string') {
      return { kind: 'error', id: key, code, message, data: data === undefined ? null : data };
    }
  }
  return { kind: 'invalid', reason: 'neither a result nor an error with a code and a message' };
}
