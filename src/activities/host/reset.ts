// reset (`edge-overlay hosts reset HOST`): deletes every overlay device on the host, whether or not any
// state file knows of it — the overlay bridge and every vxlan<N> device. A host left stranded by a failed
// join or a crashed agent can be cleaned without knowing the spec it was given. The agent wraps this to
// tear down the overlay its state file names first (site VIP released, beacon stopped, state cleared).
import { OVERLAY_BRIDGE } from '../../domain/constants.js';
import { linkDel, linkShow } from '../../net/index.js';
import type { ResetInput, ResetResult } from './contract.js';
import type { HostDeps } from './deps.js';

const VXLAN_DEVICE = /^vxlan\d+$/;

export async function reset(deps: HostDeps, input: ResetInput): Promise<ResetResult> {
  const { runner: r, netns: ns, log } = deps;
  const links = await linkShow(r, undefined, ns);
  // vxlan devices first: deleting the bridge would leave them detached but present.
  const doomed = [
    ...links.filter((l) => VXLAN_DEVICE.test(l.ifname)).map((l) => l.ifname),
    ...links.filter((l) => l.ifname === OVERLAY_BRIDGE).map((l) => l.ifname),
  ];
  for (const name of doomed) await linkDel(r, name, ns);
  log.info({ removed: doomed, reason: input.reason }, 'host reset: overlay devices deleted');
  return { changed: doomed.length > 0, removed: doomed };
}
