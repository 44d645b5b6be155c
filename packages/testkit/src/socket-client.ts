import { WebSocket } from 'ws';

/** A test client: every text frame it received, and how it closed. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly frames: string[];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Frames parsed as JSON. */
  json(): Record<string, unknown>[];
  /** Resolves when `check` holds for the frames received so far. */
  until(check: (frames: Record<string, unknown>[]) => boolean, what?: string): Promise<void>;
}

export function connect(url: string, options: { origin?: string; protocols?: string[] } = {}): TestSocket {
  const ws = new WebSocket(url, options.protocols ?? [], options.origin ? { origin: options.origin } : {});
  const frames: string[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data, isBinary) => {
    if (!isBinary) frames.push(data.toString());
    for (const wake of waiters) wake();
  });
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  opened.catch(() => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => {
      for (const wake of waiters) wake();
      resolve({ code, reason: reason.toString() });
    });
  });
  const json = () => frames.map((frame) => JSON.parse(frame) as Record<string, unknown>);
  return {
    ws,
    frames,
    opened,
    closed,
    json,
    until(check, what = 'frames') {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`timed out waiting for ${what}; got ${frames.length} frames`));
        }, 10_000);
        const wake = (): void => {
          if (!check(json())) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
        wake();
      });
    },
  };
}
