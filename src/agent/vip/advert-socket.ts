// The VIP adverts' socket: one UDP socket on its own port (VIP_ADVERT_PORT), sending encoded adverts by
// directed broadcast on the underlay interface and handing received datagrams, with their source, to a
// callback. It knows nothing of the advert format: the election's glue encodes, signs and verifies.
// Like the beacon it needs only the underlay (no overlay, no control plane): the election must go on
// while either is down. The interface address (for the broadcast target and to know our own looped-back
// broadcasts) is read again at most every ADDRESS_RECHECK_MS, at once after a failed send, and on every
// send while the interface has none: DHCP may renumber it. Reading it (getifaddrs, a netlink dump) on
// each of the 10 sends a second cost more than the send itself in the agent's --jitless node. The kernel
// picks the source address of each datagram, so a renumbered host is heard from its new address at once;
// only the broadcast target may be stale until the next read (the same one unless the subnet changed).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { VIP_ADVERT_PORT } from '../../domain/constants.js';
import { ifaceIpv4 } from '../beacon/beacon.js';
import { directedBroadcast } from '../beacon/broadcast.js';
import { VerifyBudget, type VerifyBudgetLimits } from '../beacon/rate-limit.js';

export interface AdvertSource {
  address: string;
  port: number;
}

/**
 * Receive budget (datagrams handed to the callback, which verifies a signature each): a voter adverts
 * every A = 100 ms (10/s), so a source gets 5x that; the global bucket bounds a flood from forged
 * sources to ~500 verifications/s (~50 ms CPU/s at ~100 µs each).
 */
export const DEFAULT_ADVERT_LIMITS: VerifyBudgetLimits = {
  perSource: { burst: 20, perSecond: 50 },
  global: { burst: 200, perSecond: 500 },
  maxSources: 4096,
};

/** The interface address is read again when the last read is older than this (ms). */
export const ADDRESS_RECHECK_MS = 1000;

/** An advert fits one Ethernet frame; anything larger is not ours. */
const MAX_DATAGRAM_BYTES = 1472;

export interface AdvertSocketOptions {
  /** The underlay interface (its current IPv4 address and subnet are read on each send). */
  iface: string;
  port?: number;
  limits?: VerifyBudgetLimits;
  /** Called for each datagram within the budget; own broadcasts (looped back) are not passed. */
  onDatagram: (packet: Buffer, source: AdvertSource) => void;
  log?: Logger;
}

export interface AdvertSocketStats {
  sent: number;
  sendFailed: number;
  /** Sends skipped because the interface had no IPv4 address. */
  noAddress: number;
  received: number;
  dropped: { own: number; tooLarge: number; sourceLimit: number; globalLimit: number };
}

export interface AdvertSocket {
  /** Broadcasts the packet on the underlay; false when it could not go (no address, send error). */
  send(packet: Buffer): Promise<boolean>;
  /** The port actually bound (port 0 in options: an ephemeral one, for tests). */
  readonly port: number;
  stats(): AdvertSocketStats;
  stop(): Promise<void>;
}

export async function openAdvertSocket(opts: AdvertSocketOptions): Promise<AdvertSocket> {
  const budget = new VerifyBudget(opts.limits ?? DEFAULT_ADVERT_LIMITS);
  const counters = { sent: 0, sendFailed: 0, noAddress: 0, received: 0 };
  const dropped = { own: 0, tooLarge: 0, sourceLimit: 0, globalLimit: 0 };
  /** This host's own address as last used to send: its broadcasts come back to this socket. */
  let ownIp: string | undefined;
  /** The broadcast target and when the interface address behind it was read (undefined: read again). */
  let route: { target: string; at: number } | undefined;
  const currentRoute = (): { target: string } | undefined => {
    const now = performance.now();
    if (route && now - route.at < ADDRESS_RECHECK_MS) return route;
    route = undefined;
    const current = ifaceIpv4(opts.iface);
    if (!current) return undefined;
    ownIp = current.ip;
    route = { target: directedBroadcast(current.ip, current.prefixLength), at: now };
    return route;
  };

  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (packet: Buffer, rinfo: RemoteInfo) => {
    if (rinfo.address === ownIp && rinfo.port === port) {
      dropped.own++;
      return;
    }
    if (packet.length > MAX_DATAGRAM_BYTES) {
      dropped.tooLarge++;
      return;
    }
    const decision = budget.take(rinfo.address, performance.now());
    if (decision !== 'ok') {
      dropped[decision === 'source-limit' ? 'sourceLimit' : 'globalLimit']++;
      return;
    }
    counters.received++;
    try {
      opts.onDatagram(packet, { address: rinfo.address, port: rinfo.port });
    } catch (err) {
      opts.log?.error({ err }, 'vip advert callback failed');
    }
  });
  socket.on('error', (err) => opts.log?.warn({ err }, 'vip advert socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port ?? VIP_ADVERT_PORT, '0.0.0.0', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.setBroadcast(true);
  const port = socket.address().port;
  let stopped = false;

  return {
    port,
    send(packet) {
      const r = stopped ? undefined : currentRoute();
      if (!r) {
        counters.noAddress++;
        return Promise.resolve(false);
      }
      const target = r.target;
      return new Promise((resolve) => {
        socket.send(packet, port, target, (err) => {
          if (err) {
            route = undefined; // the address may have gone: read it again on the next send
            counters.sendFailed++;
            opts.log?.debug({ err, target }, 'vip advert send failed');
          } else counters.sent++;
          resolve(!err);
        });
      });
    },
    stats: () => ({ ...counters, dropped: { ...dropped } }),
    async stop() {
      stopped = true;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
