// A loopback TCP forwarder between an agent and the test broker, to break the path the way the field
// does: `cut` closes every connection and refuses new ones (the broker sees the host vanish), `blackhole`
// keeps the connections open but forwards nothing (an address change: the old connection is dead but
// nobody says so), `restore` lets new connections through again.
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The broker URL through the proxy (TLS still verifies the broker's name, not this address). */
  url: string;
  cut(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  let mode: 'open' | 'cut' = 'open';
  const pairs = new Set<[Socket, Socket]>();
  /** Blackholed connections: open, silent, closed only by close(). */
  const held: Socket[] = [];
  const server: Server = createServer((inbound) => {
    if (mode === 'cut') return inbound.destroy();
    const outbound = connect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const end = () => {
      inbound.destroy();
      outbound.destroy();
      pairs.delete(pair);
    };
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    cut() {
      mode = 'cut';
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    blackhole() {
      for (const [inbound, outbound] of pairs) {
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        // nothing the broker does on its side (closing after its keepalive) reaches the agent
        outbound
          .removeAllListeners('close')
          .removeAllListeners('error')
          .on('error', () => undefined);
        inbound
          .removeAllListeners('close')
          .removeAllListeners('error')
          .on('error', () => undefined);
        inbound.pause();
        held.push(inbound, outbound);
      }
      pairs.clear();
    },
    restore() {
      mode = 'open';
    },
    close: () =>
      new Promise<void>((resolve) => {
        mode = 'cut'; // a reconnect arriving now must not keep the server open
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        for (const sock of held) sock.destroy();
        server.close(() => resolve());
      }),
  };
}
