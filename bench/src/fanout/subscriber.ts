/**
 * Fanout benchmark, a subscriber process: holds many client sockets of one target
 * (ReplayRail: a `ws` client on `ws://127.0.0.1:<port>/ws/<channel>`, each text frame
 * one envelope; Socket.IO: a socket.io-client per subscriber, WebSocket transport,
 * joining the room) and, per phase, counts the events they get and records each
 * one's end-to-end latency (receive time minus the send time in the payload, in µs)
 * into an HDR histogram. It also plays the reconnecting subscriber: one socket that
 * disconnects, misses events, reconnects with its cursor (ReplayRail
 * `?last_event_id=`, Socket.IO connection state recovery) and checks it got every
 * missed event exactly once, in order.
 */

import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { serve } from '../ipc.js';
import { isRail, now, type Payload, REDIS_URL, type Recovery, type Target } from './shared.js';

interface Envelope {
  id: string;
  payload: Payload;
}

interface ConnectArgs {
  target: Target;
  port: number;
  name: string;
  count: number;
}

const newHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000 });

// --- Fanout: many sockets, counted per phase.

const closers: (() => void)[] = [];
let phase = '';
let delivered = 0;
let stray = 0; // events of another phase (late from an earlier one)
let outOfOrder = 0;
let dropped = 0; // sockets the server closed during the run
let lastAt = 0;
let histogram = newHistogram();

/** Counts one delivery to a socket; `last` is that socket's last phase and sequence, for the order check. */
function deliver(payload: Payload, last: { phase: string; seq: number }): void {
  if (payload.phase !== phase) {
    stray++;
    return;
  }
  const at = now();
  delivered++;
  lastAt = at;
  histogram.recordValue(Math.max(1, Math.round((at - payload.t) * 1000)));
  if (last.phase === phase && payload.seq <= last.seq) outOfOrder++;
  last.phase = phase;
  last.seq = payload.seq;
}

let frameBytes = 0; // the WebSocket payload of the last event frame (ASCII, so characters are bytes)
let sizingSio = false;

function openRr(url: string, onEvent: (event: Envelope) => void): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  socket.on('message', (data) => {
    const text = String(data);
    frameBytes = text.length;
    onEvent(JSON.parse(text) as Envelope);
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`closed with ${code} before open`)));
  });
}

function openSio(port: number, room: string, onEvent: (payload: Payload) => void): Promise<Socket> {
  const socket = io(`http://127.0.0.1:${port}`, {
    forceNew: true,
    transports: ['websocket'],
    reconnection: false,
    auth: { room },
  });
  socket.on('tick', (payload: Payload) => onEvent(payload));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      if (!sizingSio) {
        sizingSio = true;
        // Engine.io frames a message as "4" + the Socket.IO packet.
        socket.io.engine.on('data', (data) => {
          frameBytes = 1 + String(data).length;
        });
      }
      resolve(socket);
    });
    socket.once('connect_error', reject);
  });
}

async function openOne({ target, port, name }: ConnectArgs): Promise<void> {
  const last = { phase: '', seq: -1 };
  if (isRail(target)) {
    const socket = await openRr(`ws://127.0.0.1:${port}/ws/${encodeURIComponent(name)}`, (event) =>
      deliver(event.payload, last),
    );
    socket.on('close', () => dropped++);
    closers.push(() => {
      socket.removeAllListeners('close');
      socket.close();
    });
  } else {
    const socket = await openSio(port, name, (payload) => deliver(payload, last));
    socket.on('disconnect', () => dropped++);
    closers.push(() => {
      socket.off('disconnect');
      socket.disconnect();
    });
  }
}

/** Opens `count` more sockets, 50 at a time. */
async function connect(args: ConnectArgs): Promise<number> {
  const batch = 50;
  for (let opened = 0; opened < args.count; opened += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, args.count - opened) }, () => openOne(args)));
  }
  return closers.length;
}

function collect() {
  const result = {
    delivered,
    stray,
    outOfOrder,
    dropped,
    lastAt,
    frameBytes,
    histogram: hdr.encodeIntoCompressedBase64(histogram),
  };
  return result;
}

// --- Reconnect: one socket that misses events and comes back with its cursor.

let rr: { port: number; name: string; socket: WebSocket | undefined; cursor: string } | undefined;
// The cursor before the missed events (the marker's), where the XRANGE floor starts.
let beforeMissed = '0-0';
let sio: Socket | undefined;
let onMissed = (_payload: Payload): void => {};
let marker: Promise<void> = Promise.resolve();

async function rcConnect({ target, port, name }: ConnectArgs): Promise<void> {
  let markerSeen = (): void => {};
  marker = new Promise((resolve) => {
    markerSeen = resolve;
  });
  const onPayload = (payload: Payload): void => {
    if (payload.phase === 'marker') markerSeen();
    else if (payload.phase === 'missed') onMissed(payload);
  };
  if (isRail(target)) {
    const state = { port, name, socket: undefined as WebSocket | undefined, cursor: '' };
    state.socket = await openRr(`ws://127.0.0.1:${port}/ws/${encodeURIComponent(name)}`, (event) => {
      state.cursor = event.id;
      if (event.payload.phase === 'marker') beforeMissed = event.id;
      onPayload(event.payload);
    });
    rr = state;
  } else {
    sio = await openSio(port, name, onPayload);
  }
}

async function rcDisconnect(): Promise<void> {
  if (rr?.socket !== undefined) {
    const socket = rr.socket;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.terminate(); // as if the network dropped
    });
  } else if (sio !== undefined) {
    const socket = sio;
    await new Promise<void>((resolve) => {
      socket.once('disconnect', () => resolve());
      socket.io.engine.close(); // a transport close, which Socket.IO recovers from
    });
  }
}

/** Reconnects with the cursor and waits for `expected` missed events, a close, 2 s of silence, or 30 s. */
function rcReconnect({ expected }: { expected: number }): Promise<Recovery> {
  const started = now();
  const result: Recovery = {
    ms: null,
    received: 0,
    duplicates: 0,
    gaps: 0,
    inOrder: false,
    closeCode: null,
    closeReason: '',
    recovered: null,
  };
  let next = 0;
  return new Promise((resolve) => {
    let idle: ReturnType<typeof setTimeout> | undefined;
    const finish = (): void => {
      clearTimeout(idle);
      clearTimeout(limit);
      onMissed = () => {};
      result.inOrder = result.received === expected && result.duplicates === 0 && result.gaps === 0;
      resolve(result);
    };
    const limit = setTimeout(finish, 30_000);
    const quiet = (): void => {
      clearTimeout(idle);
      idle = setTimeout(finish, 2_000);
    };
    onMissed = (payload) => {
      result.received++;
      if (payload.seq < next) result.duplicates++;
      else {
        if (payload.seq > next) result.gaps++;
        next = payload.seq + 1;
      }
      if (result.received === expected) {
        result.ms = now() - started;
        finish();
      } else quiet();
    };
    if (rr !== undefined) {
      const state = rr;
      const url = `ws://127.0.0.1:${state.port}/ws/${encodeURIComponent(state.name)}?last_event_id=${state.cursor}`;
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.on('message', (data) => {
        const event = JSON.parse(String(data)) as Envelope;
        state.cursor = event.id;
        if (event.payload.phase === 'missed') onMissed(event.payload);
      });
      socket.once('open', quiet);
      socket.once('close', (code, reason) => {
        result.closeCode = code;
        result.closeReason = String(reason);
        finish();
      });
      socket.once('error', () => {});
      state.socket = socket;
    } else if (sio !== undefined) {
      const socket = sio;
      socket.once('connect', () => {
        result.recovered = socket.recovered;
        quiet();
      });
      socket.connect(); // sends the session id and last offset it holds
    }
  });
}

/**
 * The floor a catch-up is held against: the same missed entries read with a plain
 * `XRANGE` loop, pages of 1,000 (ms). `plain` decodes nothing; `decoded` also parses
 * each entry's JSON fields (payload, actor, metadata), the least a reader of Redis
 * does to use an event. From the ReplayRail subscriber's last cursor before it missed them.
 */
async function xrangeLoop({ key, count }: { key: string; count: number }): Promise<{ plain: number; decoded: number }> {
  const redis = new Redis(REDIS_URL);
  const loop = async (decode: boolean): Promise<number> => {
    const started = performance.now();
    let after = beforeMissed;
    for (let read = 0; read < count; ) {
      const page = (await redis.xrange(key, `(${after}`, '+', 'COUNT', 1000)) as [string, string[]][];
      if (page.length === 0) break;
      if (decode) {
        for (const [, fields] of page) {
          for (let i = 0; i < fields.length; i += 2) {
            const name = fields[i];
            if (name === 'payload' || name === 'actor' || name === 'metadata') JSON.parse(fields[i + 1] as string);
          }
        }
      }
      read += page.length;
      after = (page.at(-1) as [string, string[]])[0];
    }
    return performance.now() - started;
  };
  try {
    return { plain: await loop(false), decoded: await loop(true) };
  } finally {
    redis.disconnect();
  }
}

serve(async (op, args) => {
  switch (op) {
    case 'connect':
      return connect(args as ConnectArgs);
    case 'phase':
      phase = String(args);
      delivered = 0;
      stray = 0;
      outOfOrder = 0;
      lastAt = 0;
      histogram = newHistogram();
      return null;
    case 'count':
      return delivered;
    case 'disconnect':
      // Closes every socket `connect` opened; the process stays for more.
      for (const close of closers.splice(0)) close();
      return null;
    case 'collect':
      return collect();
    case 'rc-connect':
      return rcConnect(args as ConnectArgs);
    case 'rc-marker':
      return Promise.race([
        marker,
        new Promise((_resolve, reject) => setTimeout(() => reject(new Error('marker event not received')), 5_000)),
      ]);
    case 'rc-disconnect':
      return rcDisconnect();
    case 'rc-reconnect':
      return rcReconnect(args as { expected: number });
    case 'xrange-loop':
      return xrangeLoop(args as { key: string; count: number });
    case 'stop':
      for (const close of closers.splice(0)) close();
      rr?.socket?.close();
      sio?.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the close frames go out
      return null;
    default:
      throw new Error(`unknown op ${op}`);
  }
});
