// The host agent: re-applies the last overlay from the state file at once, then watches the underlay,
// reports to the control plane and serves the host activities on `host/<hostId>` (never workflows).
// A registration answer that no longer counts the host in its stored cluster tears that overlay down.
import type { Logger } from 'pino';
import { release } from 'node:os';
import type { HostActivities } from '../activities/host/contract.js';
import { checkHostOptions, type HostDeps } from '../activities/host/deps.js';
import { createHostActivities, flushLearned } from '../activities/host/index.js';
import { OVERLAY_BRIDGE } from '../domain/constants.js';
import { hostTaskQueue } from '../domain/ids.js';
import { addrList, arpingUnsolicited, execaRunner, type Runner, tcpSocketsKillFrom } from '../net/index.js';
import { createBeaconAgentHook } from './beacon/agent-hook.js';
import { createMembershipGuard } from './membership.js';
import { Reporter } from './report.js';
import { type AgentState, StateStore } from './state.js';
import { startTemporalLoop } from './temporal-loop.js';
import { watchUnderlay } from './underlay-watch.js';

export interface AgentOptions {
  hostId: string;
  underlayIface: string;
  temporalAddress: string;
  namespace: string;
  stateDir: string;
  api?: { url: string; token: string };
  /** Commands run in this namespace (tests); a real agent runs inside its host's namespace. */
  netns?: string;
  runner?: Runner;
  log: Logger;
  heartbeatMs?: number;
  recheckMs?: number;
}

export interface Agent {
  store: StateStore;
  reporter: Reporter;
  /** True when a stored overlay was re-applied at startup. */
  reapplied: boolean;
  stop(): Promise<void>;
}

/** applyOverlay + setPeers (+ assignVip) from the state file; failures are logged, never fatal. */
async function reapply(acts: HostActivities, state: AgentState, log: Logger): Promise<boolean> {
  if (!state.overlay) return false;
  const { spec, overlayIp } = state.overlay;
  try {
    await acts.applyOverlay({ spec, overlayIp });
    await acts.setPeers({ spec, peers: state.peers });
    if (state.vipHeld) await acts.assignVip({ spec });
    log.info(
      { cluster: spec.clusterName, overlayIp, peers: state.peers.length },
      'overlay re-applied from state file',
    );
    return true;
  } catch (err) {
    log.error({ err: String(err) }, 'could not re-apply the stored overlay');
    return false;
  }
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

/** Connections from an address we no longer have are dead: abort them so gRPC reconnects now. */
async function dropDeadConnections(deps: HostDeps, previous: string, log: Logger): Promise<void> {
  try {
    const still = (await addrList(deps.runner, deps.underlayIface, deps.netns)).some(
      (a) => a.ip === previous,
    );
    if (still) return;
    const killed = await tcpSocketsKillFrom(deps.runner, previous, deps.netns);
    log.info({ previous, killed }, 'aborted TCP connections from the old underlay address');
  } catch (err) {
    log.warn({ err: String(err) }, 'could not abort old connections');
  }
}

export async function startAgent(o: AgentOptions): Promise<Agent> {
  const runner = o.runner ?? execaRunner;
  const log = o.log.child({ hostId: o.hostId });
  const base = { hostId: o.hostId, underlayIface: o.underlayIface, netns: o.netns, runner, log };
  const deps = checkHostOptions(base); // throws on a hostile id/interface before anything runs
  const store = new StateStore(o.stateDir, deps.hostId, log);
  const beacon = createBeaconAgentHook({
    hostId: o.hostId,
    underlayIface: o.underlayIface,
    log,
    inner: store,
  });
  const membership = createMembershipGuard({ state: () => store.current(), log });
  const activities = membership.bind(beacon.bind(createHostActivities({ ...base, memory: beacon.memory })));

  const reapplied = await reapply(activities, await store.load(), log);
  const pre = await activities.preflight().catch((err) => {
    log.warn({ err: String(err) }, 'preflight failed');
    return null;
  });
  if (pre && pre.problems.length > 0) log.warn({ problems: pre.problems }, 'preflight found problems');

  const reporter = new Reporter({
    hostId: o.hostId,
    underlayIface: o.underlayIface,
    log,
    beforeRegister: () => membership.beforeRegister(),
    ...(o.api ? { api: o.api } : {}),
    ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
    labels: {
      'edge-overlay/kernel': release(),
      'edge-overlay/vxlan': String(pre?.vxlanSupported ?? 'unknown'),
      'edge-overlay/underlay-mtu': String(pre?.underlayMtu ?? 'unknown'),
      'edge-overlay/driver': pre?.driver ?? 'unknown',
    },
  });
  const watcher = await watchUnderlay({
    runner,
    iface: o.underlayIface,
    log,
    ...(o.netns ? { netns: o.netns } : {}),
    ...(o.recheckMs ? { recheckMs: o.recheckMs } : {}),
    onChange: (ip, previous) => {
      if (previous) void dropDeadConnections(deps, previous, log).then(() => reporter.addressChanged(ip));
      else reporter.addressChanged(ip);
      if (ip) void healMulticast(deps, store, log);
    },
  });
  reporter.start(watcher.current());
  const temporal = startTemporalLoop({
    address: o.temporalAddress,
    namespace: o.namespace,
    taskQueue: hostTaskQueue(o.hostId),
    activities,
    log,
    onClient: (client) => reporter.setClient(client),
  });

  return {
    store,
    reporter,
    reapplied,
    async stop() {
      reporter.stop();
      await watcher.stop();
      await temporal.stop();
      await beacon.stop();
      log.info('agent stopped');
    },
  };
}
