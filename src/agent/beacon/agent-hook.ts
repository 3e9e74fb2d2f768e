// The beacon's whole integration with the agent, kept apart from it:
//   const beacon = createBeaconAgentHook({ hostId, underlayIface, log, inner: stateFileMemory });
//   const activities = beacon.bind(createHostActivities({ ..., memory: beacon.memory }));
//   ... on shutdown: await beacon.stop();
// applyOverlay with a spec carrying beaconKey starts the beacon; setPeers records the table the
// control plane wants; an accepted beacon that moves a known peer re-runs setPeers locally with that
// one address changed (so the overlay heals even while Temporal is unreachable). Every setPeers,
// local or from a workflow, runs one at a time, and a pushed table never undoes a peer's own
// announcement of the last few seconds.
import type { Logger } from 'pino';
import type { HostActivities } from '../../activities/host/contract.js';
import type { OverlayMemory } from '../../activities/host/deps.js';
import type { OverlaySpec, Peer } from '../../domain/types.js';
import { type Beacon, startBeacon } from './beacon.js';
import { type BeaconPeerUpdate, movePeerUnderlay } from './peers.js';

/** A peer's own beacon this recent beats a pushed table (peers announce every second). */
const FRESH_MS = 3000;
/** Beacons of hosts renumbered together arrive within a few ms of each other. */
const BURST_MS = 30;

export interface BeaconHookOptions {
  hostId: string;
  underlayIface: string;
  log: Logger;
  /** The agent's own memory (state file); every call is passed on to it first. */
  inner?: OverlayMemory;
  port?: number;
  intervalMs?: number;
}

export interface BeaconAgentHook {
  memory: OverlayMemory;
  bind(activities: HostActivities): HostActivities;
  /** Beacon-driven setPeers calls so far (for logs and tests). */
  moves(): number;
  stop(): Promise<void>;
}

export function createBeaconAgentHook(o: BeaconHookOptions): BeaconAgentHook {
  const log = o.log.child({ component: 'beacon' });
  let activities: HostActivities | undefined;
  let beacon: Beacon | undefined;
  let beaconFor = '';
  let spec: OverlaySpec | undefined;
  let peers: Peer[] = [];
  let moves = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const stopBeacon = async () => {
    const b = beacon;
    beacon = undefined;
    beaconFor = '';
    await b?.stop();
  };

  // Moves that arrive while a setPeers runs (several peers renumber at once) go out in ONE call.
  const pendingMoves = new Map<string, BeaconPeerUpdate>();
  const applyMoves = async () => {
    let table = peers;
    for (const update of pendingMoves.values()) {
      const moved = movePeerUnderlay(table, update);
      if (moved) {
        log.info({ peer: update.hostId, underlayIp: update.underlayIp }, 'beacon: peer moved');
        table = moved;
      }
    }
    pendingMoves.clear();
    if (table === peers || !spec || !activities) return;
    moves++;
    await activities.setPeers({ spec, peers: table });
  };
  // The latest authenticated first-hand announcement per peer: a table from the control plane built
  // from reports that lag behind it must not move a peer back to an address it no longer has.
  const observed = new Map<string, BeaconPeerUpdate & { atMs: number }>();
  const freshen = (table: Peer[]): Peer[] => {
    let out = table;
    for (const [hostId, seen] of observed) {
      if (Date.now() - seen.atMs > FRESH_MS) continue;
      const moved = movePeerUnderlay(out, seen);
      if (!moved) continue;
      log.info({ peer: hostId, underlayIp: seen.underlayIp }, 'beacon: newer than the pushed peer table');
      out = moved;
    }
    return out;
  };
  const onBeacon = (msg: BeaconPeerUpdate) => {
    observed.set(msg.hostId, {
      hostId: msg.hostId,
      underlayIp: msg.underlayIp,
      overlayIp: msg.overlayIp,
      atMs: Date.now(),
    });
    if (!movePeerUnderlay(peers, msg)) return;
    const first = pendingMoves.size === 0;
    pendingMoves.set(msg.hostId, {
      hostId: msg.hostId,
      underlayIp: msg.underlayIp,
      overlayIp: msg.overlayIp,
    });
    // A short pause lets the rest of a renumbering burst join the same setPeers.
    if (first)
      setTimeout(() => {
        void serial(applyMoves).catch((err) => log.warn({ err }, 'beacon: local setPeers failed'));
      }, BURST_MS);
  };

  const ensureBeacon = async (s: OverlaySpec, overlayIp: string) => {
    const identity = `${s.clusterName}|${overlayIp}|${s.beaconKey ?? ''}`;
    if (identity === beaconFor) return;
    await stopBeacon();
    if (!s.beaconKey) return;
    beacon = await startBeacon({
      clusterName: s.clusterName,
      hostId: o.hostId,
      overlayIp,
      key: s.beaconKey,
      iface: o.underlayIface,
      ...(o.port !== undefined ? { port: o.port } : {}),
      ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
      onBeacon,
      log,
    });
    beaconFor = identity;
    log.info({ cluster: s.clusterName }, 'beacon started');
  };

  const memory: OverlayMemory = {
    async overlayApplied(input) {
      await o.inner?.overlayApplied(input);
      spec = input.spec;
      try {
        await ensureBeacon(input.spec, input.overlayIp);
      } catch (err) {
        log.warn({ err }, 'beacon could not start; relying on the control plane');
      }
    },
    async peersSet(s, p) {
      await o.inner?.peersSet(s, p);
      spec = s;
      peers = p.filter((peer) => peer.hostId !== o.hostId);
    },
    async vipChanged(s, held) {
      await o.inner?.vipChanged(s, held);
    },
    async tornDown(s) {
      await o.inner?.tornDown(s);
      spec = undefined;
      peers = [];
      await stopBeacon();
    },
  };

  return {
    memory,
    bind(a) {
      activities = a;
      return {
        ...a,
        setPeers: (input) => serial(() => a.setPeers({ ...input, peers: freshen(input.peers) })),
      };
    },
    moves: () => moves,
    stop: stopBeacon,
  };
}
