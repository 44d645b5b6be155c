import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy in front of a server that can cut every connection through it at
 * once, as a flaky network does; clients then reconnect through it.
 */
export class ChaosProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  cuts = 0;

  private constructor(targetPort: number) {
    this.#server = createServer((downstream) => {
      const upstream = tcpConnect(targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [downstream, upstream];
      this.#pairs.add(pair);
      const end = () => {
        this.#pairs.delete(pair);
        downstream.destroy();
        upstream.destroy();
      };
      downstream.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      downstream.pipe(upstream);
      upstream.pipe(downstream);
    });
  }

  static async start(targetPort: number): Promise<{ proxy: ChaosProxy; port: number }> {
    const proxy = new ChaosProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    return { proxy, port: typeof address === 'object' && address !== null ? address.port : 0 };
  }

  /** Drops every connection through the proxy, with no close handshake. */
  cut(): void {
    this.cuts++;
    for (const [downstream, upstream] of this.#pairs) {
      downstream.destroy();
      upstream.destroy();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
