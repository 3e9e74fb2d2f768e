// The beacon's whole integration with the agent, kept apart from it:
//   const beacon = createBeaconAgentHook({ hostId, underlayIface, log, inner: stateFileMemory,
//     privateKeyPem: identity.privateKey, epoch: await nextBootEpoch(stateDir, log),
//     underlayReport: () => reporter.latest() });
//   const activities = beacon.bind(createHostActivities({ ..., memory: beacon.memory }));
//   ... on shutdown: await beacon.stop();
// An applied overlay starts the beacon (signed with this host's own key; OverlaySpec.beaconKey of older
// specs is ignored); each setPeers table gives it the peers' public keys; an accepted beacon that moves a
// known peer re-runs setPeers locally with that one address changed (so the overlay heals even while the
// control plane is unreachable). Every setPeers, local or pushed, runs one at a time, and which address
// wins between tables and beacons follows the seq rule of peer-order.ts.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { HostActivities } from '../../activities/host/contract.js';
import type { OverlayMemory } from '../../activities/host/deps.js';
import type { OverlaySpec, Peer } from '../../domain/types.js';
import { type Beacon, type BeaconStats, startBeacon, type UnderlayReportRef } from './beacon.js';
import type { BeaconMessage } from './codec.js';
import type { RejectReason } from './verifier.js';
import type { BeaconPrivateKey } from './keys.js';
import {
  beaconMove,
  mergePushedTable,
  type Observation,
  type PeerClaim,
  recordNewest,
  type SeqClaim,
} from './peer-order.js';
import type { VerifyBudgetLimits } from './rate-limit.js';

/** Beacons of hosts renumbered together arrive within a few ms of each other. */
const BURST_MS = 30;

export interface BeaconHookOptions {
  hostId: string;
  underlayIface: string;
  log: Logger;
  /** The agent's own memory (state file); every call is passed on to it first. */
  inner?: OverlayMemory;
  /** This host's own private key (Ed25519 or P-256; PEM or KeyObject). Without it no beacon runs. */
  privateKeyPem?: BeaconPrivateKey;
  /** This agent start's epoch: nextBootEpoch(stateDir). Default: the wall clock now (not persisted). */
  epoch?: number;
  /** The agent's newest underlay report (address + seq); beacons carry that seq. See BeaconOptions. */
  underlayReport?: () => UnderlayReportRef | null | undefined;
  limits?: VerifyBudgetLimits;
  port?: number;
  intervalMs?: number;
  /** The beacon's address poll (BeaconOptions.addressPollMs); the agent pokes it with recheckAddress. */
  addressPollMs?: number;
  /** An accepted beacon moves a known peer (its local setPeers follows): the reconvergence metric's start. */
  onPeerMoved?: (claim: PeerClaim) => void;
}

export interface BeaconAgentHook {
  memory: OverlayMemory;
  bind(activities: HostActivities): HostActivities;
  /** Beacon-driven setPeers calls so far (for logs and tests). */
  moves(): number;
  /** The running beacon's counters (null: none running). */
  stats(): BeaconStats | null;
  /** Sent, accepted and rejected beacons since this hook was made, across every beacon it ran (metrics). */
  totals(): Pick<BeaconStats, 'sent' | 'accepted' | 'rejected'>;
  /** An underlay address event or a new report: the beacon re-reads both now, not at its next poll. */
  recheckAddress(): void;
  stop(): Promise<void>;
}

const claimOf = (msg: BeaconMessage): PeerClaim => ({
  hostId: msg.hostId,
  underlayIp: msg.underlayIp,
  overlayIp: msg.overlayIp,
  ...(msg.seq !== undefined ? { seq: msg.seq } : {}),
});

const keysOf = (table: readonly Peer[]): [string, string][] =>
  table.flatMap((p) => (p.publicKey ? [[p.hostId, p.publicKey] as [string, string]] : []));

export function createBeaconAgentHook(o: BeaconHookOptions): BeaconAgentHook {
  const log = o.log.child({ component: 'beacon' });
  const epoch = o.epoch ?? Date.now();
  // One counter for every beacon of this epoch, even across a beacon restart (another cluster, another
  // overlay IP): receivers refuse a counter that does not move forward within an epoch.
  let counter = 0;
  const nextCounter = () => ++counter;
  let activities: HostActivities | undefined;
  let beacon: Beacon | undefined;
  let beaconFor = '';
  let spec: OverlaySpec | undefined;
  let peers: Peer[] = [];
  let moves = 0;
  let warnedNoKey = false;
  /** The newest seq-carrying address per peer, from tables and beacons alike. */
  const newest = new Map<string, SeqClaim>();
  /** The last accepted beacon per peer (the seq-less rule needs its age). */
  const observed = new Map<string, Observation>();
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  // Counts of the beacons already stopped (another cluster, a teardown): totals() adds the running one's.
  const retired: Pick<BeaconStats, 'sent' | 'accepted' | 'rejected'> = { sent: 0, accepted: 0, rejected: {} };
  const totals = () => {
    const now = beacon?.stats();
    const rejected = { ...retired.rejected };
    for (const [r, n] of Object.entries(now?.rejected ?? {}))
      rejected[r as RejectReason] = (rejected[r as RejectReason] ?? 0) + (n ?? 0);
    return {
      sent: retired.sent + (now?.sent ?? 0),
      accepted: retired.accepted + (now?.accepted ?? 0),
      rejected,
    };
  };

  const stopBeacon = async () => {
    const b = beacon;
    if (b) Object.assign(retired, totals());
    beacon = undefined;
    beaconFor = '';
    await b?.stop();
  };

  // Moves that arrive while a setPeers runs (several peers renumber at once) go out in ONE call; each is
  // re-decided against the table of that moment (a newer table may have arrived in between).
  const pendingMoves = new Map<string, PeerClaim>();
  const applyMoves = async () => {
    let table = peers;
    for (const claim of pendingMoves.values()) {
      const next = beaconMove(table, claim);
      if (!next) continue;
      log.info({ peer: claim.hostId, underlayIp: claim.underlayIp, seq: claim.seq }, 'beacon: peer moved');
      table = next;
    }
    pendingMoves.clear();
    if (table === peers || !spec || !activities) return;
    moves++;
    await activities.setPeers({ spec, peers: table });
  };
  const onBeacon = (msg: BeaconMessage) => {
    const claim = claimOf(msg);
    observed.set(msg.hostId, { ...claim, atMs: performance.now() });
    recordNewest(newest, claim);
    if (!beaconMove(peers, claim)) return;
    o.onPeerMoved?.(claim);
    const first = pendingMoves.size === 0;
    pendingMoves.set(msg.hostId, claim);
    // A short pause lets the rest of a renumbering burst join the same setPeers.
    if (first)
      setTimeout(() => {
        void serial(applyMoves).catch((err) => log.warn({ err }, 'beacon: local setPeers failed'));
      }, BURST_MS);
  };

  const ensureBeacon = async (s: OverlaySpec, overlayIp: string) => {
    const identity = `${s.clusterName}|${overlayIp}`;
    if (identity === beaconFor) return;
    await stopBeacon();
    if (!o.privateKeyPem) {
      if (!warnedNoKey) log.warn('beacon off: no host private key given');
      warnedNoKey = true;
      return;
    }
    beacon = await startBeacon({
      clusterName: s.clusterName,
      hostId: o.hostId,
      overlayIp,
      privateKey: o.privateKeyPem,
      epoch,
      nextCounter,
      peerKeys: keysOf(peers),
      iface: o.underlayIface,
      ...(o.underlayReport ? { underlayReport: o.underlayReport } : {}),
      ...(o.limits ? { limits: o.limits } : {}),
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
      ...(o.addressPollMs !== undefined ? { addressPollMs: o.addressPollMs } : {}),
      onBeacon,
      log,
    });
    beaconFor = identity;
    log.info({ cluster: s.clusterName, epoch }, 'beacon started');
  };

  const memory: OverlayMemory = {
    async overlayApplied(input) {
      await o.inner?.overlayApplied(input);
      spec = input.spec;
      try {
        await ensureBeacon(input.spec, input.overlayIp);
      } catch (err) {
        log.warn({ err: String(err) }, 'beacon could not start; relying on the control plane');
      }
    },
    async peersSet(s, p) {
      await o.inner?.peersSet(s, p);
      spec = s;
      peers = p.filter((peer) => peer.hostId !== o.hostId);
      const listed = new Set(peers.map((peer) => peer.hostId));
      for (const h of [...newest.keys()]) if (!listed.has(h)) newest.delete(h);
      for (const h of [...observed.keys()]) if (!listed.has(h)) observed.delete(h);
      for (const peer of peers) recordNewest(newest, peer);
      beacon?.setPeerKeys(keysOf(peers));
    },
    async vipChanged(s, held) {
      await o.inner?.vipChanged(s, held);
    },
    async tornDown(s) {
      await o.inner?.tornDown(s);
      spec = undefined;
      peers = [];
      newest.clear();
      observed.clear();
      await stopBeacon();
    },
  };

  return {
    memory,
    bind(a) {
      activities = a;
      return {
        ...a,
        setPeers: (input) =>
          serial(() => {
            const merged = mergePushedTable(input.peers, { newest, observed, nowMs: performance.now() });
            if (merged.corrected.length > 0)
              log.info(
                { peers: merged.corrected },
                'beacon: kept addresses newer than the pushed peer table',
              );
            return a.setPeers({ ...input, peers: merged.peers });
          }),
      };
    },
    moves: () => moves,
    stats: () => beacon?.stats() ?? null,
    totals,
    recheckAddress: () => beacon?.recheck(),
    stop: stopBeacon,
  };
}
