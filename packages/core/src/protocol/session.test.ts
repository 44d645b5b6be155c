import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import type { ReplayRailError } from '../errors.js';
import type { Subscription } from '../hub/subscription.js';
import type { ReplayRail } from '../rail.js';
import { ProtocolSession, type ProtocolSocket } from './session.js';

// A socket that records what it was sent.
function recordingSocket(): ProtocolSocket & {
  frames: Record<string, unknown>[];
  closedWith: [number, string] | undefined;
} {
  const socket = {
    frames: [] as Record<string, unknown>[],
    closedWith: undefined as [number, string] | undefined,
    bufferedAmount: 0,
    send(text: string) {
      socket.frames.push(JSON.parse(text) as Record<string, unknown>);
    },
    close(code: number, reason: string) {
      socket.closedWith = [code, reason];
    },
  };
  return socket;
}

// A rail whose subscriptions misbehave on close: a fault in a collaborator, thrown
// from inside a request's handler.
function railWithBrokenClose(): ReplayRail {
  return {
    config: resolveConfig(),
    async subscribe(channel: string) {
      return {
        channel,
        start: '0-0',
        cursor: '0-0',
        closed: false,
        ended: new Promise(() => {}),
        close() {
          throw new Error('close failed');
        },
      } as unknown as Subscription;
    },
  } as unknown as ReplayRail;
}

// A session on that rail and socket, and what it reported.
function sessionOn(socket: ProtocolSocket) {
  const reported: ReplayRailError[] = [];
  const session = new ProtocolSession(
    railWithBrokenClose(),
    {},
    {
      maxBufferedBytes: 1024,
      report: (error) => reported.push(error),
    },
  );
  session.attach(socket);
  return { session, reported };
}

describe('ProtocolSession', () => {
  it('answers every later request after a handler failed, and reports the failure', async () => {
    const socket = recordingSocket();
    const { session, reported } = sessionOn(socket);
    const requests = [
      { op: 'subscribe', channel: 'a' },
      { op: 'unsubscribe', channel: 'a' }, // its subscription's close throws
      { op: 'ping' },
      { op: 'subscribe', channel: 'b' },
      { op: 'ping' },
    ];
    await Promise.all(requests.map((request) => session.receive(JSON.stringify(request), false)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(socket.frames.map((frame) => frame.op)).toEqual(['subscribed', 'error', 'pong', 'subscribed', 'pong']);
    expect(socket.frames[1]).toEqual({ op: 'error', code: 'internal_error', message: 'internal error' });
    expect(reported.map((error) => [error.code, (error.cause as Error).message])).toEqual([
      ['internal_error', 'close failed'],
    ]);
    expect(socket.closedWith).toBeUndefined();
  });

  it('lets go of a socket whose send throws, instead of throwing from a microtask', async () => {
    const socket = recordingSocket();
    socket.send = () => {
      throw new Error('not open');
    };
    const { session, reported } = sessionOn(socket);
    await session.receive('{"op":"ping"}', false);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(session.closed).toBe(true);
    expect(socket.closedWith).toEqual([1011, 'internal_error']);
    expect(reported.map((error) => error.code)).toEqual(['internal_error']);
  });
});
