// The underlay beacon's socket side: one UDP socket on a fixed port, broadcasting this host's
// {hostId, underlayIp, overlayIp, seq} signed with its own key on the underlay L2, and handing verified
// peer beacons to a callback. Works while the overlay and the control plane are down: it needs only the
// underlay interface, the host's key and the peers' public keys from the last peer table.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { BEACON_PORT } from '../../domain/constants.js';
import { directedBroadcast } from './broadcast.js';
import { type BeaconMessage, encodeBeacon } from './codec.js';
import { type BeaconPrivateKey, signingKey } from './keys.js';
import type { VerifyBudgetLimits } from './rate-limit.js';
import { BeaconVerifier, type RejectReason } from './verifier.js';

/** The agent's newest underlay report: the address it reported and that report's seq. */
export interface UnderlayReportRef {
  seq: number;
  underlayIp: string | null;
}

export interface BeaconOptions {
  clusterName: string;
  hostId: string;
  overlayIp: string;
  /** This host's own private key (Ed25519 or P-256). */
  privateKey: BeaconPrivateKey;
  /** This agent start's epoch (nextBootEpoch in epoch.ts). */
  epoch: number;
  /** The epoch's beacon counter, shared when one epoch runs several beacons in turn. Default: 1, 2, 3… */
  nextCounter?: () => number;
  /** hostId → Peer.publicKey of the peers to accept beacons from; replace with setPeerKeys. */
  peerKeys?: Iterable<readonly [string, string]>;
  /**
   * The agent's newest underlay report. A beacon carries its seq only when the report is about the address
   * being announced; while they differ (the agent has not seen the change yet) the beacon waits, for at
   * most REPORT_WAIT_MS, then goes out without a seq. Absent: beacons never carry a seq.
   */
  underlayReport?: () => UnderlayReportRef | null | undefined;
  /** The underlay interface; its current IPv4 address is read on every tick (it may change). */
  iface: string;
  port?: number;
  intervalMs?: number;
  /** How often the interface address (and the report) is checked for a change (announced at once). */
  addressPollMs?: number;
  limits?: VerifyBudgetLimits;
  /** Called for every accepted beacon, repeats included. */
  onBeacon: (msg: BeaconMessage, info: { changed: boolean; repeat: boolean }) => void;
  log?: Logger;
}

export interface BeaconStats {
  sent: number;
  /** Sends postponed because the report had not caught up with the address yet. */
  heldBack: number;
  accepted: number;
  repeats: number;
  /** Signature checks run (the CPU spent on received beacons). */
  verifications: number;
  rejected: Partial<Record<RejectReason, number>>;
}

export interface Beacon {
  /** Send an announcement now (coalesced with others within a few ms). */
  announce(): void;
  /** Re-read the interface address and the report now (an address event), as the poll would. */
  recheck(): void;
  setPeerKeys(keys: Iterable<readonly [string, string]>): void;
  stats(): BeaconStats;
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
/** How long a beacon waits for the agent's report to name the new address before going without seq. */
export const REPORT_WAIT_MS = 2000;

export async function startBeacon(opts: BeaconOptions): Promise<Beacon> {
  const key = signingKey(opts.privateKey);
  const port = opts.port ?? BEACON_PORT;
  const verifier = new BeaconVerifier({
    clusterName: opts.clusterName,
    selfHostId: opts.hostId,
    ...(opts.peerKeys ? { peerKeys: opts.peerKeys } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const counters = { sent: 0, heldBack: 0, accepted: 0, repeats: 0 };
  const rejected: Partial<Record<RejectReason, number>> = {};
  let counter = 0;
  const nextCounter = opts.nextCounter ?? (() => ++counter);
  let current: IfaceAddress | null = null;
  let reportSeen = '';
  let mismatchSince: number | undefined;
  let mismatchWarned = false;
  let pending: NodeJS.Timeout | undefined;
  let stopped = false;

  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (packet: Buffer, rinfo: RemoteInfo) => {
    const result = verifier.verify(packet, performance.now(), rinfo.address);
    if (!result.accepted) {
      if (result.reason !== 'own-message') rejected[result.reason] = (rejected[result.reason] ?? 0) + 1;
      return;
    }
    counters.accepted++;
    if (result.repeat) counters.repeats++;
    // A peer that just renumbered missed our earlier beacons (it had no address): answer it.
    if (result.changed) announce();
    try {
      opts.onBeacon(result.msg, { changed: result.changed, repeat: result.repeat });
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

  /** The seq to send with `ip`; null: hold the beacon back a little longer. */
  const seqFor = (ip: string): { seq?: number } | null => {
    if (!opts.underlayReport) return {};
    const report = opts.underlayReport();
    if (report?.underlayIp === ip) {
      mismatchSince = undefined;
      mismatchWarned = false;
      return { seq: report.seq };
    }
    const now = performance.now();
    mismatchSince ??= now;
    if (now - mismatchSince < REPORT_WAIT_MS) return null;
    if (!mismatchWarned)
      opts.log?.warn({ ip }, 'beacon: the underlay report does not name this address; sending without seq');
    mismatchWarned = true;
    return {};
  };

  const send = () => {
    pending = undefined;
    if (stopped || !current) return;
    const seq = seqFor(current.ip);
    if (!seq) {
      counters.heldBack++;
      return; // checkAddress announces as soon as the report names the address
    }
    const msg: BeaconMessage = {
      clusterName: opts.clusterName,
      hostId: opts.hostId,
      underlayIp: current.ip,
      overlayIp: opts.overlayIp,
      epoch: opts.epoch,
      counter: nextCounter(),
      ...seq,
    };
    const target = directedBroadcast(current.ip, current.prefixLength);
    socket.send(encodeBeacon(msg, key), port, target, (err) => {
      if (err) opts.log?.debug({ err, target }, 'beacon send failed');
      else counters.sent++;
    });
  };
  function announce(): void {
    if (!stopped && !pending) pending = setTimeout(send, COALESCE_MS);
  }
  const checkAddress = () => {
    const now = ifaceIpv4(opts.iface);
    const report = opts.underlayReport?.();
    const reportNow = report ? `${report.underlayIp}|${report.seq}` : '';
    if (reportNow !== reportSeen) {
      reportSeen = reportNow;
      announce();
    }
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
    recheck: () => {
      if (!stopped) checkAddress();
    },
    setPeerKeys(keys) {
      const { unusable } = verifier.setPeerKeys(keys);
      if (unusable.length > 0) opts.log?.warn({ peers: unusable }, 'beacon: peer public keys not usable');
    },
    stats: () => ({
      ...counters,
      verifications: verifier.verifications,
      rejected: { ...rejected },
    }),
    async stop() {
      stopped = true;
      clearInterval(addressTimer);
      clearInterval(periodicTimer);
      if (pending) clearTimeout(pending);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
