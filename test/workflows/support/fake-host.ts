// In-memory hosts for workflow-logic tests: each implements HostActivities against a plain object instead of
// the kernel and answers the commands the control worker relays to it (fake-relay.ts). Like an agent, it
// never lets an older peer table (version) overwrite a newer one.
import { peerTableDigest } from '../../../src/domain/peer-digest.js';
import { ApplicationFailure } from '@temporalio/common';
import type { HostActivities } from '../../../src/activities/host/contract.js';
import { ErrorType } from '../../../src/domain/errors.js';
import type { SiteVipPolicyInput } from '../../../src/domain/site-vip.js';
import type { OverlaySpec, Peer } from '../../../src/domain/types.js';
import type { FakeSite, SiteReport } from './fake-site.js';

export interface FakeHostBehaviour {
  /** preflight fails with PreflightFailed (non-retryable). */
  failPreflight?: boolean;
  /** preflight waits for this promise first: a join that hangs until the test lets it go. */
  preflightGate?: Promise<void>;
  /** setPeers waits this long before applying (to catch a reconcile in flight). */
  setPeersDelayMs?: number;
  /** setPeers fails with a non-retryable HostCommandFailed. */
  failSetPeers?: boolean;
  /** probePeers fails (retryably) this many more times before it answers again. */
  failProbes?: number;
  /** Overlay IPs this host's probe finds silent (whether or not they are in its table). */
  silentTargets?: string[];
}

/** setPeers calls in flight across every fake host of the process, and the most seen at once. */
export const setPeersInFlight = { now: 0, max: 0 };

export class FakeHost {
  overlay: { spec: OverlaySpec; overlayIp: string } | null = null;
  peers: Peer[] = [];
  hasVip = false;
  calls: string[] = [];
  /** Version of the peer table in place (v2 commands carry one). */
  peersVersion = 0;
  /** Report sequence of the host's underlay address (what the agent would publish). */
  underlaySeq = 0;
  /** Site VIP election (fake-site.ts): the policy this host elects under, its cluster, its report seq, and
   * whether the site sees it (false: powered off or cut off; its reports wait in queuedReports). */
  site: FakeSite | null = null;
  vipPolicy: SiteVipPolicyInput | null = null;
  vipCluster: string | null = null;
  vipSeq = 0;
  siteDown = false;
  queuedReports: SiteReport[] = [];
  /** While set, every activity waits here first: a host whose device or agent is stuck. */
  private hangGate: { promise: Promise<void>; release: () => void } | null = null;

  constructor(
    readonly hostId: string,
    public underlayIp: string,
    public behaviour: FakeHostBehaviour = {},
  ) {}

  count(name: string): number {
    return this.calls.filter((c) => c === name).length;
  }

  /** From now on every activity hangs (until unhang). */
  hang(): void {
    let release = () => {};
    const promise = new Promise<void>((r) => {
      release = r;
    });
    this.hangGate = { promise, release };
  }
  unhang(): void {
    this.hangGate?.release();
    this.hangGate = null;
  }

  /** Runs one relayed command. */
  run(kind: keyof HostActivities, input: unknown): Promise<unknown> {
    const fn = this.activities()[kind] as (i: unknown) => Promise<unknown>;
    return fn(input);
  }

  activities(): HostActivities {
    const raw = this.rawActivities();
    const gated = {} as Record<string, (...args: never[]) => Promise<unknown>>;
    for (const [name, fn] of Object.entries(raw) as Array<[string, (...a: never[]) => Promise<unknown>]>) {
      gated[name] = async (...args: never[]) => {
        if (this.hangGate) {
          this.calls.push(`${name}:hung`);
          await this.hangGate.promise;
        }
        return fn(...args);
      };
    }
    return gated as unknown as HostActivities;
  }

  private rawActivities(): HostActivities {
    return {
      preflight: async () => {
        this.calls.push('preflight');
        if (this.behaviour.preflightGate) await this.behaviour.preflightGate;
        if (this.behaviour.failPreflight) {
          throw ApplicationFailure.create({
            type: ErrorType.PreflightFailed,
            message: `${this.hostId}: vxlan module missing`,
            nonRetryable: true,
          });
        }
        return {
          hostId: this.hostId,
          underlayIface: 'eth0',
          underlayIp: this.underlayIp,
          underlayMtu: 1500,
          vxlanSupported: true,
          udpPortFree: true,
          rpFilter: 0,
          driver: null,
          offloadsDisabled: [],
          problems: [],
        };
      },
      applyOverlay: async ({ spec, overlayIp }) => {
        this.calls.push('applyOverlay');
        const changed = this.overlay?.overlayIp !== overlayIp;
        this.overlay = { spec, overlayIp };
        return {
          changed,
          vxlanDevice: `vxlan${spec.vni}`,
          bridge: 'scbr-100',
          mac: '02:00:00:00:00:01',
          mtu: 1450,
        };
      },
      setPeers: async ({ spec, peers, version, probe, vip }) => {
        this.calls.push('setPeers');
        if (version !== undefined && version < this.peersVersion)
          return { added: 0, removed: 0, stale: true };
        if (this.behaviour.failSetPeers) {
          throw ApplicationFailure.create({
            type: ErrorType.HostCommandFailed,
            message: `${this.hostId}: bridge -batch exited 1`,
            nonRetryable: true,
          });
        }
        setPeersInFlight.now += 1;
        setPeersInFlight.max = Math.max(setPeersInFlight.max, setPeersInFlight.now);
        try {
          if (this.behaviour.setPeersDelayMs)
            await new Promise((r) => setTimeout(r, this.behaviour.setPeersDelayMs));
        } finally {
          setPeersInFlight.now -= 1;
        }
        // Checked again at apply time, as the agent does: a newer table applied during the delay wins.
        if (version !== undefined && version < this.peersVersion)
          return { added: 0, removed: 0, stale: true };
        const before = new Set(this.peers.map((p) => `${p.hostId}|${p.underlayIp}`));
        const after = new Set(peers.map((p) => `${p.hostId}|${p.underlayIp}`));
        this.peers = peers;
        if (version !== undefined) this.peersVersion = version;
        if (vip) this.site?.onPolicy(this, spec.clusterName, vip);
        return {
          added: [...after].filter((k) => !before.has(k)).length,
          removed: [...before].filter((k) => !after.has(k)).length,
          digest: peerTableDigest(peers),
          // as the real host: the probe asked for with the push runs once the table is in place
          ...(probe && peers.length > 0 ? { probe: await this.probe(peers.map((p) => p.overlayIp)) } : {}),
        };
      },
      probePeers: async ({ targets }) => this.probe(targets),
      assignVip: async () => {
        this.calls.push('assignVip');
        const changed = !this.hasVip;
        this.hasVip = true;
        return { changed };
      },
      releaseVip: async () => {
        this.calls.push('releaseVip');
        const changed = this.hasVip;
        this.hasVip = false;
        return { changed };
      },
      teardown: async () => {
        this.calls.push('teardown');
        const changed = this.overlay !== null;
        this.overlay = null;
        this.peers = [];
        this.site?.onStopped(this);
        this.hasVip = false;
        return { changed };
      },
      reset: async () => {
        this.calls.push('reset');
        const removed = this.overlay ? ['vxlan100', 'scbr-100'] : [];
        const cluster = this.overlay?.spec.clusterName;
        this.overlay = null;
        this.peers = [];
        this.site?.onStopped(this);
        this.hasVip = false;
        return { changed: removed.length > 0, removed, ...(cluster ? { cluster } : {}) };
      },
    };
  }

  /** What probePeers answers (also inside setPeers when the push asks for a probe). */
  private async probe(targets: string[]) {
    this.calls.push('probePeers');
    if ((this.behaviour.failProbes ?? 0) > 0) {
      this.behaviour.failProbes! -= 1;
      throw ApplicationFailure.create({
        type: ErrorType.HostCommandFailed,
        message: `${this.hostId}: probe failed`,
        nonRetryable: true,
      });
    }
    const silent = this.behaviour.silentTargets ?? [];
    return {
      reachable: targets.filter((t) => !silent.includes(t)),
      unreachable: silent,
      sent: targets.length,
      lost: silent.length,
    };
  }
}
