// The underlay beacon's socket side: one UDP socket on a fixed port, broadcasting this host's
// {hostId, underlayIp, overlayIp} on the underlay L2 and handing verified peer beacons to a callback.
// Works while the overlay and the control plane are down: it needs only the underlay interface.
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { BEACON_PORT } from '../../domain/constants.js';
import { encodeBeacon, nextSeq, parseBeaconKey } from './codec.js';
import { directedBroadcast } from './peers.js';
import { BeaconVerifier, type RejectReason } from './verifier.js';
import type { BeaconMessage } from './codec.js';

export interface BeaconOptions {
  clusterName: string;
  hostId: string;
  overlayIp: string;
  /** base64url per-cluster key (OverlaySpec.beaconKey). */
  key: string;
  /** The underlay interface; its current IPv4 address is read on every tick (it may change). */
  iface: string;
  port?: number;
  intervalMs?: number;
  /** How often the interface address is checked for a change (an announcement goes out at once). */
  addressPollMs?: number;
  windowMs?: number;
  /** Called for every accepted beacon; `changed` when the sender's underlay differs from its last. */
  onBeacon: (msg: BeaconMessage, changed: boolean) => void;
  log?: Logger;
}

export interface Beacon {
  /** Send an announcement now (coalesced with others within a few ms). */
  announce(): void;
  stats(): { sent: number; accepted: number; rejected: Partial<Record<RejectReason, number>> };
  stop(): Promise<void>;
}

interface IfaceAddress {
  ip: string;
  prefixLength: number;
}

export function ifaceIpv4(iface: string): IfaceAddress | null {
  const entry = networkInterfaces()[iface]?.find((a) => a.family === 'IPv4');
  if (!entry?.cidr) return null;
  return { ip: entry.address, prefixLength: Number(entry.cidr.split('/')[1]) };
}

const COALESCE_MS = 15;

export async function startBeacon(opts: BeaconOptions): Promise<Beacon> {
  const key = parseBeaconKey(opts.key);
  const port = opts.port ?? BEACON_PORT;
  const verifier = new BeaconVerifier({
    clusterName: opts.clusterName,
    selfHostId: opts.hostId,
    key,
    ...(opts.windowMs !== undefined ? { windowMs: opts.windowMs } : {}),
  });
  const counters = { sent: 0, accepted: 0, rejected: {} as Partial<Record<RejectReason, number>> };
  let seq = 0;
  let current: IfaceAddress | null = null;
  let pending: NodeJS.Timeout | undefined;
  let stopped = false;

  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (packet: Buffer, rinfo: RemoteInfo) => {
    const result = verifier.verify(packet, Date.now(), rinfo.address);
    if (!result.accepted) {
      if (result.reason !== 'own-message')
        counters.rejected[result.reason] = (counters.rejected[result.reason] ?? 0) + 1;
      return;
    }
    counters.accepted++;
    // A peer that just renumbered missed our earlier beacons (it had no address): answer it.
    if (result.changed) announce();
    try {
      opts.onBeacon(result.msg, result.changed);
    } catch (err) {
      opts.log?.error({ err }, 'beacon callback failed');
    }
  });
  socket.on('error', (err) => opts.log?.warn({ err }, 'beacon socket error'));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '0.0.0.0', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.setBroadcast(true);

  const send = () => {
    pending = undefined;
    if (stopped || !current) return;
    seq = nextSeq(seq, Date.now());
    const packet = encodeBeacon(
      {
        clusterName: opts.clusterName,
        hostId: opts.hostId,
        underlayIp: current.ip,
        overlayIp: opts.overlayIp,
        seq,
        ts: Date.now(),
        nonce: randomBytes(16).toString('hex'),
      },
      key,
    );
    const target = directedBroadcast(current.ip, current.prefixLength);
    socket.send(packet, port, target, (err) => {
      if (err) opts.log?.debug({ err, target }, 'beacon send failed');
      else counters.sent++;
    });
  };
  function announce(): void {
    if (!stopped && !pending) pending = setTimeout(send, COALESCE_MS);
  }
  const checkAddress = () => {
    const now = ifaceIpv4(opts.iface);
    if (now?.ip === current?.ip && now?.prefixLength === current?.prefixLength) return;
    opts.log?.info({ from: current?.ip ?? null, to: now?.ip ?? null }, 'beacon: underlay address changed');
    current = now;
    announce();
  };
  checkAddress();
  const addressTimer = setInterval(checkAddress, opts.addressPollMs ?? 50);
  const periodicTimer = setInterval(announce, opts.intervalMs ?? 1000);

  return {
    announce,
    stats: () => ({ ...counters, rejected: { ...counters.rejected } }),
    async stop() {
      stopped = true;
      clearInterval(addressTimer);
      clearInterval(periodicTimer);
      if (pending) clearTimeout(pending);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
