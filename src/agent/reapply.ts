// Agent start: the last overlay comes back from the state file before anything else (the control plane
// may be unreachable for hours). Failures are logged, never fatal: the control plane pushes again.
import type { Logger } from 'pino';
import type { HostActivities } from '../activities/host/contract.js';
import type { AgentState } from './state.js';

/**
 * applyOverlay + setPeers, and assignVip only for a legacy cluster (no site election policy) whose VIP
 * this host held. With a policy stored the VIP is never claimed from the state file: the election decides
 * after its hold-down and DAD (a rebooted host has no VIP in its kernel and must not grab one on its own).
 */
export async function reapplyStoredOverlay(
  acts: HostActivities,
  state: AgentState,
  log: Logger,
): Promise<boolean> {
  if (!state.overlay) return false;
  const { spec, overlayIp } = state.overlay;
  try {
    await acts.applyOverlay({ spec, overlayIp });
    await acts.setPeers({ spec, peers: state.peers });
    if (state.vipHeld && !state.vipPolicy) await acts.assignVip({ spec });
    log.info(
      { cluster: spec.clusterName, overlayIp, peers: state.peers.length, siteVip: Boolean(state.vipPolicy) },
      'overlay re-applied from state file',
    );
    return true;
  } catch (err) {
    log.error({ err: String(err) }, 'could not re-apply the stored overlay');
    return false;
  }
}
