import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/** A TCP proxy to a server on 127.0.0.1 that a test can freeze. */
export interface TcpProxy {
  readonly port: number;
  /**
   * Stops forwarding both ways without closing anything, like a network that holds
   * every packet: the connections stay open, nothing arrives at either end, and new
   * connections open but carry nothing.
   */
  freeze(): void;
  /** Forwards again, starting with what waited. */
  thaw(): void;
  /** Closes the proxy and every connection through it. */
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port to `127.0.0.1:<targetPort>`. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  // What arrived while frozen, per direction, delivered on thaw.
  const releases = new Set<() => void>();
  let frozen = false;
  const forward = (from: Socket, to: Socket): void => {
    const held: Buffer[] = [];
    const release = (): void => {
      for (const chunk of held.splice(0)) to.write(chunk);
    };
    releases.add(release);
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push(chunk);
      else to.write(chunk);
    });
    from.on('close', () => releases.delete(release));
  };
  const server = createServer((client) => {
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    for (const socket of pair) {
      socket.on('error', () => {});
      socket.on('close', () => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      });
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    port: address.port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const release of releases) release();
    },
    async close() {
      for (const pair of pairs) for (const socket of pair) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
