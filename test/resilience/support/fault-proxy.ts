import net from 'node:net';
import { loopbackHost } from './http';

/**
 * How the proxy treats traffic:
 * - pass: forward both ways (with the configured latency);
 * - refuse: nothing listens on the port, so connects fail with ECONNREFUSED;
 * - reset: connects are accepted and reset at once;
 * - blackhole: connects are accepted and nothing is ever forwarded or answered.
 */
export type FaultMode = 'pass' | 'refuse' | 'reset' | 'blackhole';

export interface FaultProxyStats {
  accepted: number;
  forwarded: number;
  cut: number;
}

interface Link {
  client: net.Socket;
  upstream?: net.Socket;
}

/**
 * A TCP proxy on loopback between a program and a server (MariaDB here) that can cut
 * every connection, add latency, refuse connects and heal: faults produced on real
 * sockets, so the programs see exactly what a network failure looks like.
 */
export class FaultProxy {
  private server?: net.Server;
  private readonly links = new Set<Link>();
  private mode: FaultMode = 'pass';
  private latencyMs = 0;
  readonly stats: FaultProxyStats = { accepted: 0, forwarded: 0, cut: 0 };

  private constructor(
    private readonly target: { host: string; port: number },
    private listenPort: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(target, 0);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  get currentMode(): FaultMode {
    return this.mode;
  }

  get openConnections(): number {
    return this.links.size;
  }

  private listen(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, loopbackHost, () => {
        server.off('error', reject);
        const address = server.address();
        if (typeof address === 'object' && address) this.listenPort = address.port;
        resolve();
      });
    });
  }

  private accept(client: net.Socket): void {
    this.stats.accepted += 1;
    client.on('error', () => undefined);
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const link: Link = { client };
    this.links.add(link);
    client.on('close', () => this.drop(link));
    if (this.mode === 'blackhole') {
      client.on('data', () => undefined);
      return;
    }
    this.stats.forwarded += 1;
    const upstream = net.connect({ host: this.target.host, port: this.target.port });
    link.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => this.drop(link));
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  /** Forwards chunks in order, each held back by the latency configured when it arrived. */
  private pipe(from: net.Socket, to: net.Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const delay = this.latencyMs;
      if (delay === 0) {
        chain = chain.then(() => {
          if (!to.destroyed) to.write(chunk);
        });
        return;
      }
      const due = Date.now() + delay;
      chain = chain.then(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(
              () => {
                if (!to.destroyed) to.write(chunk);
                resolve();
              },
              Math.max(0, due - Date.now()),
            ),
          ),
      );
    });
    from.on('end', () => {
      chain = chain.then(() => {
        if (!to.destroyed) to.end();
      });
    });
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }

  /** Resets every open connection (both sides see ECONNRESET); new ones follow the mode. */
  cutAll(): number {
    const count = this.links.size;
    for (const link of [...this.links]) {
      this.links.delete(link);
      if (!link.client.destroyed) link.client.resetAndDestroy();
      if (link.upstream && !link.upstream.destroyed) link.upstream.resetAndDestroy();
    }
    this.stats.cut += count;
    return count;
  }

  /** Latency added to every chunk in both directions from now on. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  async setMode(mode: FaultMode): Promise<void> {
    if (mode === this.mode) return;
    if (this.mode === 'refuse') await this.listen();
    this.mode = mode;
    if (mode === 'refuse') await this.closeListener();
  }

  /** Back to a clean pass-through with no latency. */
  async heal(): Promise<void> {
    this.latencyMs = 0;
    await this.setMode('pass');
  }

  /** Stops listening at once; connections already open are left to the mode and cutAll. */
  private closeListener(): Promise<void> {
    this.server?.close();
    this.server = undefined;
    return new Promise((resolve) => setImmediate(resolve));
  }

  async stop(): Promise<void> {
    this.cutAll();
    if (this.mode !== 'refuse') await this.closeListener();
    this.mode = 'refuse';
  }
}
