// The site VIP election's whole integration with the agent (issue 13), kept apart from it:
//   const siteVip = createSiteVipHook({ hostId, underlayIface, log, epoch, nextEpoch, privateKey, store, onReport });
//   const activities = membership.bind(siteVip.bind(guardPeerVersions(...)));
//   await siteVip.restore(stored);            // agent start, after the overlay was re-applied
//   ... on shutdown: await siteVip.stop({ release: true });
// A setPeers that was applied (not stale) and carries `vip` starts this host's elector when the policy
// names it a voter, or gives the running one the new policy and keys; a policy without this host, or a
// setPeers without `vip`, stops it (releasing the VIP). teardown, a new cluster or a new VIP stop it
// before the overlay changes. While it runs, the election owns the VIP: assignVip/releaseVip leave the
// kernel alone. The policy is kept in the state file so the site keeps electing after an agent restart
// with the control plane away; the state file never says who holds the VIP (the kernel does, and the
// election's hold-down and DAD decide whether a restarted host may claim).
import type { Logger } from 'pino';
import type { HostActivities, VipResult } from '../../activities/host/contract.js';
import { OVERLAY_BRIDGE } from '../../domain/constants.js';
import { type SiteVipPolicy, siteVipPolicySchema } from '../../domain/site-vip.js';
import type { OverlaySpec, Peer } from '../../domain/types.js';
import type { Runner } from '../../net/index.js';
import type { BeaconPrivateKey } from '../beacon/keys.js';
import type { VipReportFields } from '../channel/vip-reports.js';
import type { AgentState } from '../state.js';
import { startVipElector, type VipElector, type VipElectorStatus } from '../vip/elector.js';
import { electorPolicy, newerPolicy, samePolicy, voterKeys } from './election-input.js';

/** A start that failed (the underlay not up yet at boot, the port taken) is tried again this often. */
const DEFAULT_RETRY_MS = 2000;

export interface SiteVipHookOptions {
  hostId: string;
  underlayIface: string;
  /** Kernel actions in this namespace (tests); the advert socket is always the process's own. */
  netns?: string;
  runner?: Runner;
  log: Logger;
  /** This agent start's epoch (nextBootEpoch), the one the beacon uses: the first elector's. */
  epoch: number;
  /** A new epoch, larger than every one used before (nextBootEpoch again): each later elector of this run
   * needs its own, as its advert counter starts again at 1 and peers refuse an (epoch, counter) that does
   * not move forward. */
  nextEpoch: () => Promise<number>;
  /** The host's identity key; adverts are signed with it. */
  privateKey: BeaconPrivateKey;
  /** The state file (StateStore): the last policy is kept there. */
  store: { current(): AgentState; vipPolicySet(policy: SiteVipPolicy | null): Promise<void> };
  /** Each gain or loss of the VIP (kernel truth), for the control plane (channel/vip-reports.ts). */
  onReport?: (report: VipReportFields) => void;
  /** Tests: another advert port than VIP_ADVERT_PORT; a shorter retry. */
  advertPort?: number;
  retryMs?: number;
}

export interface SiteVipStatus extends VipElectorStatus {
  cluster: string;
}

export interface SiteVipHook {
  bind(activities: HostActivities): HostActivities;
  /** Agent start: a stored policy naming this host a voter starts the elector (never a claim by itself). */
  restore(state: AgentState): Promise<void>;
  /** The running elector's view (null: none runs). */
  status(): SiteVipStatus | null;
  /** release: true deletes a held VIP at once (and reports Stopped); false leaves it to its lifetime. */
  stop(opts: { release: boolean }): Promise<void>;
}

/** What the elector should run for: the newest policy, the spec it came with, the table's keys. */
interface Wanted {
  spec: OverlaySpec;
  policy: SiteVipPolicy;
  peers: Peer[];
}

interface Running {
  elector: VipElector;
  cluster: string;
  vip: string;
  policyVersion: number;
}

export function createSiteVipHook(o: SiteVipHookOptions): SiteVipHook {
  const log = o.log.child({ component: 'site-vip' });
  let wanted: Wanted | undefined;
  let running: Running | undefined;
  let retry: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let epochUsed = false;
  /** Starts, policy changes and stops run one at a time, in the order asked. */
  const serial = (fn: () => Promise<void>): Promise<void> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const stopRunning = async (release: boolean, why: string) => {
    const r = running;
    if (!r) return;
    running = undefined;
    await r.elector.stop({ release });
    log.info({ cluster: r.cluster, release, why }, 'site vip: elector stopped');
  };

  const start = async (w: Wanted) => {
    const policy = electorPolicy(w.spec, w.policy);
    const { keys, missing } = voterKeys(o.hostId, w.policy, w.peers);
    if (missing.length > 0) log.warn({ missing }, 'site vip: no public key for these voters yet');
    // the reports' cluster and policy version are read when a transition happens (a newer policy may apply)
    const epoch = epochUsed ? await o.nextEpoch() : o.epoch;
    epochUsed = true;
    const meta = { cluster: w.spec.clusterName, vip: w.spec.vip, policyVersion: w.policy.policyVersion };
    const elector = await startVipElector({
      hostId: o.hostId,
      epoch,
      privateKey: o.privateKey,
      policy,
      peerKeys: keys,
      underlayIface: o.underlayIface,
      overlayDev: OVERLAY_BRIDGE,
      vip: w.spec.vip,
      ...(o.netns ? { netns: o.netns } : {}),
      ...(o.runner ? { runner: o.runner } : {}),
      ...(o.advertPort !== undefined ? { advertPort: o.advertPort } : {}),
      log,
      onTransition: ({ holding, reason, at }) =>
        o.onReport?.({ cluster: meta.cluster, policyVersion: meta.policyVersion, holding, reason, at }),
    });
    const r: Running = Object.assign(meta, { elector });
    running = r;
    log.info(
      { cluster: r.cluster, policyVersion: r.policyVersion, voters: w.policy.voters, epoch },
      'site vip: elector started',
    );
  };

  const update = (r: Running, w: Wanted) => {
    const { keys, missing } = voterKeys(o.hostId, w.policy, w.peers);
    if (missing.length > 0) log.warn({ missing }, 'site vip: no public key for these voters yet');
    r.elector.setPeerKeys(keys);
    if (w.policy.policyVersion < r.policyVersion) return;
    r.elector.setPolicy(electorPolicy(w.spec, w.policy));
    if (w.policy.policyVersion > r.policyVersion)
      log.info({ cluster: r.cluster, policyVersion: w.policy.policyVersion }, 'site vip: new policy');
    r.policyVersion = w.policy.policyVersion;
  };

  /** Brings the elector to what `wanted` says. */
  const reconcile = async () => {
    if (retry) clearTimeout(retry);
    retry = undefined;
    const w = wanted;
    if (!w?.policy.voters.includes(o.hostId))
      return stopRunning(true, w ? 'this host is not a voter of the policy' : 'no policy');
    if (running && (running.cluster !== w.spec.clusterName || running.vip !== w.spec.vip))
      await stopRunning(true, 'another cluster or VIP');
    if (running) return update(running, w);
    try {
      await start(w);
    } catch (err) {
      const retryMs = o.retryMs ?? DEFAULT_RETRY_MS;
      log.error({ err: String(err), retryMs }, 'site vip: elector could not start; trying again');
      retry = setTimeout(() => void serial(reconcile), retryMs);
      retry.unref();
    }
  };

  const want = (w: Wanted | undefined) => {
    wanted = w;
    return serial(reconcile);
  };

  /** A setPeers the host applied: the policy it carries (or its absence) decides the election. */
  const peersApplied = async (spec: OverlaySpec, peers: Peer[], pushed: unknown) => {
    const stored = o.store.current().vipPolicy;
    if (pushed === undefined) {
      if (stored) {
        log.warn({ cluster: spec.clusterName }, 'site vip: peer table without a policy: election stopped');
        await o.store.vipPolicySet(null);
      }
      return want(undefined);
    }
    const policy = newerPolicy(stored, siteVipPolicySchema.parse(pushed));
    if (policy !== stored && !samePolicy(stored, policy)) await o.store.vipPolicySet(policy);
    return want({ spec, policy, peers });
  };

  /** The election owns the VIP while it runs: a legacy command changes nothing and says so. */
  const refused = async (kind: string): Promise<VipResult> => {
    const status = running?.elector.status();
    log.warn(
      { kind, kernelHolding: status?.kernelHolding, holder: status?.holder },
      `site vip: ${kind} ignored, the site election owns the VIP`,
    );
    return { changed: false };
  };

  return {
    bind(a) {
      return {
        ...a,
        async applyOverlay(input) {
          const r = running;
          if (r && (r.cluster !== input.spec.clusterName || r.vip !== input.spec.vip)) await want(undefined);
          return a.applyOverlay(input);
        },
        async setPeers(input) {
          const result = await a.setPeers(input);
          if (!result.stale) await peersApplied(input.spec, input.peers, input.vip);
          return result;
        },
        // a stored policy without a running elector (not a voter, or its start failed) refuses too: a
        // permanent VIP added beside the election could be a second holder
        assignVip: (input) =>
          running || o.store.current().vipPolicy ? refused('assignVip') : a.assignVip(input),
        releaseVip: (input) => (running ? refused('releaseVip') : a.releaseVip(input)),
        async teardown(input) {
          // the VIP goes before the overlay that carries it
          await want(undefined);
          return a.teardown(input);
        },
      };
    },
    async restore(state) {
      if (!state.overlay || !state.vipPolicy) return;
      await want({ spec: state.overlay.spec, policy: state.vipPolicy, peers: state.peers });
    },
    status() {
      const r = running;
      return r ? { ...r.elector.status(), cluster: r.cluster } : null;
    },
    async stop({ release }) {
      wanted = undefined;
      await serial(async () => {
        if (retry) clearTimeout(retry);
        retry = undefined;
        await stopRunning(release, 'agent stopping');
      });
    },
  };
}
