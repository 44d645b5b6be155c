import type { WebSocketLike } from '../client.js';

/**
 * An in-memory stand-in for the network, for the unit tests that drive time with
 * fake timers (the integration tests use real servers): it records what the
 * client sends and lets the test open, answer and close each socket.
 */
export class FakeSocket implements WebSocketLike {
  static sockets: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.sockets.push(this);
  }

  static get last(): FakeSocket {
    const socket = FakeSocket.sockets.at(-1);
    if (socket === undefined) throw new Error('no socket yet');
    return socket;
  }

  /** The frames sent, parsed. */
  get frames(): Record<string, unknown>[] {
    return this.sent.map((text) => JSON.parse(text) as Record<string, unknown>);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }

  close(code = 1000, reason = ''): void {
    this.serverClose(code, reason);
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The server (or the network) ends the connection. */
  serverClose(code: number, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** An event envelope as the server sends it. */
export function envelope(channel: string, id: string, payload: Record<string, unknown> = {}) {
  return {
    id,
    event_id: `e-${id}`,
    channel,
    type: 'test.event',
    payload,
    actor: null,
    metadata: {},
    created_at: '2026-11-23T00:00:00.000000Z',
  };
}

/** An event of a keyed channel's snapshot, as the server marks it. */
export function snapshotEnvelope(channel: string, id: string, payload: Record<string, unknown> = {}) {
  return { ...envelope(channel, id, payload), snapshot: true };
}
