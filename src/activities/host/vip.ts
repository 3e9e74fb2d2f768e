// assignVip/releaseVip: the cluster VIP as a /32 on scbr-100, announced with a gratuitous ARP so
// peers' neighbour caches move to this host's MAC at once.
import { OVERLAY_BRIDGE } from '../../domain/constants.js';
import type { OverlaySpec } from '../../domain/types.js';
import { addrDel, addrList, addrReplace, arpingUnsolicited } from '../../net/index.js';
import type { VipResult } from './contract.js';
import type { HostDeps } from './deps.js';
import { underlayLink } from './overlay.js';

const hasVip = async (deps: HostDeps, vip: string) =>
  (await addrList(deps.runner, OVERLAY_BRIDGE, deps.netns)).some(
    (a) => a.ip === vip && a.prefixLength === 32,
  );

export async function assignVip(deps: HostDeps, spec: OverlaySpec): Promise<VipResult> {
  await underlayLink(deps);
  const changed = !(await hasVip(deps, spec.vip));
  if (changed) await addrReplace(deps.runner, OVERLAY_BRIDGE, spec.vip, 32, deps.netns);
  // announced on every call: a repeat is harmless and heals peers that missed the first one
  await arpingUnsolicited(deps.runner, OVERLAY_BRIDGE, spec.vip, deps.netns);
  await deps.memory?.vipChanged(spec, true);
  return { changed };
}

export async function releaseVip(deps: HostDeps, spec: OverlaySpec): Promise<VipResult> {
  const changed = await hasVip(deps, spec.vip);
  if (changed) await addrDel(deps.runner, OVERLAY_BRIDGE, spec.vip, 32, deps.netns);
  await deps.memory?.vipChanged(spec, false);
  return { changed };
}
