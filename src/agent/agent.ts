// The host agent (DESIGN.md v2): re-applies the last overlay from the state file at once, enrolls (once,
// with its join token) or loads its own key and certificate, then serves the control plane's commands over
// its MQTT session, reports its underlay address with a per-host sequence, signs its beacons with its own
// key and renews its certificate. It holds no Temporal and no admin credentials. A membership message
// that no longer counts the host in the cluster of its stored overlay tears that overlay down. On
// control-plane hosts of clusters with a site VIP election it runs this host's elector (site-vip/hook.ts)
// and reports each gain or loss of the VIP.
import type { Logger } from 'pino';
import { release } from 'node:os';
import type { HostActivities } from '../activities/host/contract.js';
import { checkHostOptions, type HostDeps } from '../activities/host/deps.js';
import { createHostActivities, flushLearned } from '../activities/host/index.js';
import type { UnderlayReport } from '../contract/host-channel.js';
import { OVERLAY_BRIDGE } from '../domain/constants.js';
import type { AgentMetrics } from '../metrics/agent-metrics.js';
import { arpingUnsolicited, processRunner, type Runner } from '../net/index.js';
import { createBeaconAgentHook, nextBootEpoch } from './beacon/index.js';
import { type HostChannel, startHostChannel } from './channel/index.js';
import { loadOrEnroll, startRenewal } from './identity/index.js';
import { VipReports } from './channel/vip-reports.js';
import { createMembershipGuard } from './membership.js';
import { withReset } from './reset.js';
import { guardPeerVersions } from './peer-version.js';
import { probeAfterApply } from './probe-after-apply.js';
import { reapplyStoredOverlay } from './reapply.js';
import { createSiteVipHook, type SiteVipHook } from './site-vip/hook.js';
import { type AgentState, StateStore } from './state.js';
import { watchUnderlay } from './underlay-watch.js';
import { addressLossGrace } from './address-loss-grace.js';

export const AGENT_VERSION = '2.0.0';

/**
 * The beacon's own address poll is only a safety net: the agent pokes it on every `ip monitor` address
 * event and every new underlay report (recheckAddress), which is sooner than a poll. At the beacon's
 * default 50 ms the poll (getifaddrs, 20 times a second) was the idle agent's largest CPU cost.
 */
const BEACON_ADDRESS_POLL_MS = 1000;
/** How long a lost underlay address goes unreported, waiting for a new one (address-loss-grace.ts). */
const ADDRESS_LOSS_GRACE_MS = 2000;

export interface AgentOptions {
  hostId: string;
  underlayIface: string;
  /** The API (enrollment); the broker defaults to its host on port 8883. */
  apiUrl: string;
  brokerUrl?: string;
  /** Needed only until the first enrollment succeeded. */
  joinToken?: string;
  stateDir: string;
  /** Commands run in this namespace (tests); a real agent runs inside its host's namespace. */
  netns?: string;
  runner?: Runner;
  log: Logger;
  recheckMs?: number;
  /** Shorter broker timings for tests. */
  channel?: { keepaliveS?: number; willDelayS?: number };
  /** Aborts a start still waiting to enroll (SIGTERM before the API ever answered). */
  signal?: AbortSignal;
  /** Records the agent's metrics (only when they are served: --metrics-port). */
  metrics?: AgentMetrics;
}

export interface Agent {
  store: StateStore;
  channel: HostChannel;
  /** True when a stored overlay was re-applied at startup. */
  reapplied: boolean;
  /** The site VIP election (status(): the running elector's view, null when none runs). */
  siteVip: SiteVipHook;
  stop(): Promise<void>;
}

/** Multicast: learned VTEP entries go stale when underlays move; flush them and announce ourselves. */
async function healMulticast(deps: HostDeps, store: StateStore, log: Logger): Promise<void> {
  const overlay = store.current().overlay;
  if (overlay?.spec.mode !== 'multicast') return;
  try {
    const flushed = await flushLearned(deps, overlay.spec);
    await arpingUnsolicited(deps.runner, OVERLAY_BRIDGE, overlay.overlayIp, deps.netns);
    log.info({ flushed }, 'multicast: learned entries flushed after underlay change');
  } catch (err) {
    log.warn({ err: String(err) }, 'multicast heal failed');
  }
}

/** Peers the applied overlay programs (0 without an overlay). */
const programmedPeers = (s: AgentState, hostId: string): number =>
  s.overlay ? s.peers.filter((p) => p.hostId !== hostId).length : 0;

export async function startAgent(o: AgentOptions): Promise<Agent> {
  const runner = o.runner ?? processRunner;
  const log = o.log.child({ hostId: o.hostId });
  const base = { hostId: o.hostId, underlayIface: o.underlayIface, netns: o.netns, runner, log };
  const deps = checkHostOptions(base); // throws on a hostile id/interface before anything runs
  const store = new StateStore(o.stateDir, deps.hostId, log);

  // The overlay comes back before anything else: the control plane may be unreachable for hours.
  const stored = await store.load();
  const reapplied = await reapplyStoredOverlay(createHostActivities({ ...base, memory: store }), stored, log);

  const identity = await loadOrEnroll({
    stateDir: o.stateDir,
    hostId: o.hostId,
    apiUrl: o.apiUrl,
    log,
    ...(o.joinToken ? { joinToken: o.joinToken } : {}),
    ...(o.brokerUrl ? { brokerUrl: o.brokerUrl } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  let latest: UnderlayReport | null = null;
  const epoch = await nextBootEpoch(o.stateDir, log);
  const beacon = createBeaconAgentHook({
    hostId: o.hostId,
    underlayIface: o.underlayIface,
    log,
    inner: store,
    privateKeyPem: identity.privateKeyPem,
    epoch,
    underlayReport: () => latest,
    addressPollMs: BEACON_ADDRESS_POLL_MS,
    ...(o.metrics
      ? { onPeerMoved: (c) => o.metrics?.tracker.peerSeen(c.hostId, c.underlayIp, 'beacon') }
      : {}),
  });
  // Site VIP reports are numbered from the elector's first transition on, before the channel exists.
  const vipReports = await VipReports.open({ stateDir: o.stateDir, log });
  const siteVip = createSiteVipHook({
    ...base,
    epoch,
    nextEpoch: () => nextBootEpoch(o.stateDir, log),
    privateKey: identity.privateKeyPem,
    store,
    onReport: (r) => void vipReports.add(r),
  });
  // Metrics: the innermost setPeers (beacon moves and pushed tables alike) ends a reconvergence.
  const timed = <A extends HostActivities>(a: A): A => (o.metrics ? o.metrics.tracker.wrapApply(a) : a);
  // Preflight refuses an overlay over the broker's address: known once the channel below has connected.
  let brokerAddress = (): string | undefined => undefined;
  const membership = createMembershipGuard({ state: () => store.current(), log });
  // Inside the membership guard (its stale teardown stops the election before the overlay goes), outside
  // the version guard (only a table that was applied, not a stale one, moves the election).
  // A pushed table's probe runs after the apply, outside every queue the apply goes through.
  const activities = withReset(
    probeAfterApply(
      membership.bind(
        siteVip.bind(
          guardPeerVersions(
            beacon.bind(
              timed(
                createHostActivities({
                  ...base,
                  memory: beacon.memory,
                  brokerAddress: () => brokerAddress(),
                }),
              ),
            ),
            { log }, // an apply past its bound and the repair after it are logged
          ),
        ),
      ),
      o.hostId,
    ),
    () => store.current(),
    log,
  );
  // The re-applied overlay gets its beacon now (the re-apply above ran before the key was loaded): a
  // restarted agent beacons even if the control plane never sends applyOverlay again. Then the beacon
  // learns the stored table (with the peers' public keys) before any command arrives.
  if (stored.overlay) {
    const { spec, overlayIp } = stored.overlay;
    if (reapplied) await beacon.memory.overlayApplied({ spec, overlayIp }).catch(() => undefined);
    const vip = stored.vipPolicy ? { vip: stored.vipPolicy } : {};
    await activities.setPeers({ spec, peers: stored.peers, ...vip }).catch(() => undefined);
    // The site keeps electing with the control plane away (also when that setPeers failed).
    await siteVip.restore(store.current());
  }
  const pre = await activities.preflight().catch((err) => {
    log.warn({ err: String(err) }, 'preflight failed');
    return null;
  });
  if (pre && pre.problems.length > 0) log.warn({ problems: pre.problems }, 'preflight found problems');

  const channel = await startHostChannel({
    identity,
    stateDir: o.stateDir,
    // Metrics: commands counted by kind and outcome, and pushed tables noted as they arrive.
    handlers: o.metrics ? o.metrics.countCommands(o.metrics.tracker.wrapReceive(activities)) : activities,
    log,
    epoch: Date.now(),
    agentVersion: AGENT_VERSION,
    onMembership: (m) => membership.beforeRegister()(m),
    labels: {
      'edge-overlay/kernel': release(),
      'edge-overlay/vxlan': String(pre?.vxlanSupported ?? 'unknown'),
      'edge-overlay/underlay-mtu': String(pre?.underlayMtu ?? 'unknown'),
      'edge-overlay/driver': pre?.driver ?? 'unknown',
    },
    ...(o.channel ?? {}),
  });
  brokerAddress = () => channel.brokerAddress();
  o.metrics?.attach({
    peersProgrammed: () => programmedPeers(store.current(), o.hostId),
    brokerConnected: () => channel.connected(),
    brokerConnects: () => channel.stats().connects,
    beacons: () => beacon.totals(),
    commandsDropped: () => {
      const s = channel.stats();
      return { duplicate: s.duplicates, expired: s.expired, malformed: s.rejected };
    },
  });
  vipReports.attach((r) => channel.reportVip(r));
  const report = async (ip: string | null, prefixLength?: number) => {
    try {
      latest = await channel.reportUnderlay(ip, o.underlayIface, prefixLength);
      beacon.recheckAddress(); // a beacon held back for this report goes out now
    } catch (err) {
      log.error({ err: String(err) }, 'could not number the underlay report');
    }
  };
  const lossGrace = addressLossGrace({ graceMs: ADDRESS_LOSS_GRACE_MS, onLoss: () => void report(null) });
  const watcher = await watchUnderlay({
    runner,
    iface: o.underlayIface,
    log,
    ...(o.netns ? { netns: o.netns } : {}),
    ...(o.recheckMs ? { recheckMs: o.recheckMs } : {}),
    onEvent: () => beacon.recheckAddress(),
    onChange: (ip, _previous, prefixLength) => {
      // The report is numbered first (with the prefix the watcher read, not a second `ip` run): the beacon
      // holds the new address back until the report names it, so this is the data plane's critical path.
      // A new address also means the session's TCP connection (from the old address) is dead, and a
      // reconnect tried while the host had no address is waiting out its backoff: reconnect now, once, so
      // the report goes out the moment the lease is there (it is published after this, once numbered). Not
      // on the loss itself: nothing connects without an address, and two forced reconnects in quick
      // succession are what we avoid.
      if (!lossGrace.change(ip)) return; // a loss waits for a new address (address-loss-grace.ts)
      void report(ip, prefixLength);
      channel.reconnectNow();
      void healMulticast(deps, store, log);
    },
  });
  const first = watcher.currentAddress();
  await report(first?.ip ?? null, first?.prefixLength);
  const renewal = startRenewal({ identity, channel, log });

  return {
    store,
    channel,
    reapplied,
    siteVip,
    async stop() {
      // A clean stop (SIGTERM: an agent upgrade, a host shutdown) releases the VIP at once: peers claim
      // once this host is unseen and DAD is clean (~W_s + DAD, 0.7 s), sooner than the kernel lifetime
      // plus DAD retries (up to ~1.4 s) a kept address would make them wait, on a host that may be going
      // down with its apiserver; no address of a stopped agent has to be caught by a peer's DAD, and the
      // control plane gets a Stopped report (queued before the channel closes). SIGKILL cannot release:
      // the lifetime removes the address then.
      await siteVip.stop({ release: true });
      await vipReports.idle();
      await renewal.stop();
      await watcher.stop();
      lossGrace.stop();
      await channel.stop();
      await beacon.stop();
      log.info('agent stopped (the overlay stays up)');
    },
  };
}
