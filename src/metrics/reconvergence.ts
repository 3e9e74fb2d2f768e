// Reconvergence as one agent sees it: from the moment it learns a peer's NEW underlay address (a verified
// beacon, or a pushed peer table that moves the peer) to the moment its forwarding entries point there
// (a setPeers that contains the address has been applied). It does not start at the underlay change: the
// peer's new lease, its beacon or report and the control plane's push come first and are not in it (no
// agent knows when another's address changed). The renumbered host itself changes nothing (`local` is
// unset on vxlan), so this, measured on each of its peers, is the part of an outage the agents control.
import { performance } from 'node:perf_hooks';

export type ReconvergenceSource = 'beacon' | 'table';

interface PeerAddress {
  hostId: string;
  underlayIp: string;
}

interface Pending {
  ip: string;
  since: number;
  source: ReconvergenceSource;
}

/** A sighting nothing applied within this long is dropped unrecorded (the peer left, the table was stale). */
const FORGET_MS = 10 * 60_000;

export class ReconvergenceTracker {
  private readonly pending = new Map<string, Pending>();
  /** The last applied table: peer → underlay address its entries point at. */
  private programmed = new Map<string, string>();

  constructor(
    private readonly selfHostId: string,
    private readonly record: (seconds: number, source: ReconvergenceSource) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A peer's address learned now; the first sighting of an address is the one timed. */
  peerSeen(hostId: string, underlayIp: string, source: ReconvergenceSource): void {
    if (hostId === this.selfHostId || this.programmed.get(hostId) === underlayIp) return;
    if (this.pending.get(hostId)?.ip === underlayIp) return;
    this.pending.set(hostId, { ip: underlayIp, since: this.now(), source });
  }

  /** A pushed table arrived: each peer it moves counts from now (a peer new to the table is a join). */
  tableReceived(peers: readonly PeerAddress[]): void {
    for (const p of peers) {
      if (this.programmed.has(p.hostId)) this.peerSeen(p.hostId, p.underlayIp, 'table');
    }
  }

  /** A table applied by a setPeers that started at `startedAt` (a value of `now()`). */
  applied(peers: readonly PeerAddress[], startedAt: number): void {
    const now = this.now();
    const table = new Map(
      peers.filter((p) => p.hostId !== this.selfHostId).map((p) => [p.hostId, p.underlayIp]),
    );
    for (const [hostId, p] of this.pending) {
      const ip = table.get(hostId);
      if (ip === p.ip) this.record(Math.max(0, now - p.since) / 1000, p.source);
      // Seen before this table was built and still not in it: another claim won (a newer seq). Gone
      // from the table, or never applied for too long: forgotten.
      if (ip === p.ip || ip === undefined || p.since <= startedAt || now - p.since > FORGET_MS)
        this.pending.delete(hostId);
    }
    this.programmed = table;
  }

  /** Peers the last applied table programs. */
  programmedPeers(): number {
    return this.programmed.size;
  }

  /** Times the innermost setPeers (the one that programs the kernel). */
  wrapApply<A extends { setPeers(input: { peers: PeerAddress[] }): Promise<unknown> }>(activities: A): A {
    return {
      ...activities,
      setPeers: async (input: Parameters<A['setPeers']>[0]) => {
        const startedAt = this.now();
        const result = await activities.setPeers(input);
        this.applied(input.peers, startedAt);
        return result;
      },
    };
  }

  /** Notes the tables as they arrive from the control plane (the outermost handler). */
  wrapReceive<A extends { setPeers(input: { peers: PeerAddress[] }): Promise<unknown> }>(activities: A): A {
    return {
      ...activities,
      setPeers: (input: Parameters<A['setPeers']>[0]) => {
        this.tableReceived(input.peers);
        return activities.setPeers(input);
      },
    };
  }
}
