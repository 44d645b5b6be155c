/** One parsed Server-Sent Events message. */
export interface SseMessage {
  event: string;
  data: string;
  id: string | undefined;
}

/** A block that set the last event ID without data: dispatched nothing, as the SSE spec says. */
export interface SseIdOnly {
  readonly id: string;
  /** How many messages came before it. */
  readonly after: number;
}

/** A test client for an event stream: what it received, parsed as the SSE spec says. */
export interface SseStream {
  readonly messages: SseMessage[];
  /** Blocks with an `id:` line and no data, in order. */
  readonly idOnly: SseIdOnly[];
  /** What an `EventSource` would send as `Last-Event-ID` if it reconnected now ('' for none). */
  readonly lastEventId: string;
  /** Comment lines (`: ...`), e.g. keep-alives. */
  readonly comments: string[];
  readonly status: number;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** Resolves when `check` holds. */
  until(check: () => boolean, what?: string): Promise<void>;
  /** Drops the connection, as a network failure would. */
  drop(): void;
  /** Everything received, as text (an error response's JSON body, say). */
  text(): string;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const messages: SseMessage[] = [];
  const idOnly: SseIdOnly[] = [];
  // The spec's "last event ID buffer": set by an `id:` line, kept across blocks, and
  // made the last event ID when a block ends, with data or without.
  let idBuffer = '';
  let lastEventId = '';
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  let buffer = '';
  let received = '';
  let current: { event?: string; data: string[]; id?: string } = { data: [] };
  const consume = (line: string) => {
    if (line === '') {
      lastEventId = idBuffer;
      if (current.data.length > 0) {
        messages.push({ event: current.event ?? 'message', data: current.data.join('\n'), id: current.id });
      } else if (current.id !== undefined) idOnly.push({ id: current.id, after: messages.length });
      current = { data: [] };
      return;
    }
    if (line.startsWith(':')) {
      comments.push(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') current.data.push(value);
    else if (field === 'event') current.event = value;
    else if (field === 'id' && !value.includes('\0')) {
      current.id = value;
      idBuffer = value;
    }
  };
  const ended = (async () => {
    if (response.body === null) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        const text = decoder.decode(chunk as Uint8Array, { stream: true });
        received += text;
        buffer += text;
        let newline = buffer.indexOf('\n');
        while (newline !== -1) {
          consume(buffer.slice(0, newline).replace(/\r$/, ''));
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
        }
        wake();
      }
    } catch {
      // dropped by the test
    } finally {
      wake();
    }
  })();
  let done = false;
  void ended.then(() => {
    done = true;
    wake();
  });
  return {
    messages,
    idOnly,
    get lastEventId() {
      return lastEventId;
    },
    comments,
    status: response.status,
    ended,
    until(check, what = 'messages') {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for ${what}; got ${messages.length} messages`));
        }, 10_000);
        const waiter = (): void => {
          if (!check()) {
            if (done) {
              clearTimeout(timer);
              waiters.delete(waiter);
              reject(new Error(`stream ended before ${what}; got ${messages.length} messages`));
            }
            return;
          }
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        waiters.add(waiter);
        waiter();
      });
    },
    drop() {
      controller.abort();
    },
    text: () => received,
  };
}
