// applyOverlay and teardown: scbr-100 (fixed MAC, overlay IP) with vxlan<VNI> enslaved (HER: nolearning,
// no group; multicast: group + learning). `local` is left unset, so a renumbered host changes nothing on
// itself (REPORT 6.4 V3). An existing device is kept when compatible, and recreated only when not
// (flannel's vxlanLinksIncompat), so a rerun changes nothing.
import { OVERLAY_BRIDGE, overlayMtu, vxlanDeviceName } from '../../domain/constants.js';
import type { OverlaySpec } from '../../domain/types.js';
import {
  addrDel,
  addrList,
  addrReplace,
  type Link,
  linkAdd,
  linkByName,
  linkDel,
  linkIsUp,
  linkSetAddress,
  linkSetMaster,
  linkSetMtu,
  linkSetUp,
  vxlanData,
} from '../../net/index.js';
import type { ApplyOverlayInput, ApplyOverlayResult } from './contract.js';
import { type HostDeps, invalidInput } from './deps.js';
import { deviceMac } from './mac.js';
import { multicastGroup } from './schemas.js';
import { permanentHostError } from '../../domain/host-error.js';
import { ErrorType } from '../../domain/errors.js';

interface WantedVxlan {
  name: string;
  vni: number;
  port: number;
  dev: string;
  group: string | undefined;
  learning: boolean;
}

export function wantedVxlan(deps: HostDeps, spec: OverlaySpec): WantedVxlan {
  const multicast = spec.mode === 'multicast';
  return {
    name: vxlanDeviceName(spec.vni),
    vni: spec.vni,
    port: spec.port,
    dev: deps.underlayIface,
    group: multicast ? multicastGroup(spec) : undefined,
    learning: multicast,
  };
}

/** A readable difference ("vni: 100 vs 200"), empty when the existing device can be kept. */
export function vxlanMismatch(link: Link, want: WantedVxlan): string[] {
  const data = vxlanData(link);
  if (!data) return [`kind: ${link.linkinfo?.info_kind ?? 'none'} vs vxlan`];
  const diffs: string[] = [];
  const cmp = (what: string, have: unknown, wanted: unknown) => {
    if (have !== wanted) diffs.push(`${what}: ${String(have)} vs ${String(wanted)}`);
  };
  cmp('vni', data.id, want.vni);
  cmp('port', data.port, want.port);
  cmp('dev', data.link, want.dev);
  cmp('group', data.group, want.group);
  cmp('learning', data.learning ?? true, want.learning);
  cmp('local', data.local, undefined);
  return diffs;
}

export async function underlayLink(deps: HostDeps): Promise<Link> {
  const link = await linkByName(deps.runner, deps.underlayIface, deps.netns);
  if (!link)
    throw permanentHostError(
      ErrorType.PreflightFailed,
      `underlay interface ${deps.underlayIface} does not exist on ${deps.hostId}`,
    );
  return link;
}

export async function applyOverlay(deps: HostDeps, input: ApplyOverlayInput): Promise<ApplyOverlayResult> {
  const { runner: r, netns: ns, log } = deps;
  const { spec, overlayIp } = input;
  if (overlayIp === spec.vip) throw invalidInput(`overlayIp ${overlayIp} is the cluster VIP`);
  const mtu = overlayMtu((await underlayLink(deps)).mtu);
  const bridgeMac = deviceMac(deps.hostId, 'bridge');
  const want = wantedVxlan(deps, spec);
  let changed = false;
  const step = async (what: string, fn: () => Promise<void>) => {
    log.info({ step: what }, 'applyOverlay');
    changed = true;
    await fn();
  };

  let bridge = await linkByName(r, OVERLAY_BRIDGE, ns);
  if (bridge && bridge.linkinfo?.info_kind !== 'bridge') {
    await step(`delete non-bridge ${OVERLAY_BRIDGE}`, () => linkDel(r, OVERLAY_BRIDGE, ns));
    bridge = null;
  }
  if (!bridge)
    await step('add bridge', () =>
      linkAdd(r, { kind: 'bridge', name: OVERLAY_BRIDGE, mac: bridgeMac, mtu }, ns),
    );
  else {
    if (bridge.address !== bridgeMac)
      await step('bridge mac', () => linkSetAddress(r, OVERLAY_BRIDGE, bridgeMac, ns));
    if (bridge.mtu !== mtu) await step('bridge mtu', () => linkSetMtu(r, OVERLAY_BRIDGE, mtu, ns));
  }

  let vx = await linkByName(r, want.name, ns);
  const mismatch = vx ? vxlanMismatch(vx, want) : [];
  if (vx && mismatch.length > 0) {
    log.warn({ device: want.name, mismatch }, 'vxlan device incompatible, recreating');
    await step('delete incompatible vxlan', () => linkDel(r, want.name, ns));
    vx = null;
  }
  const vxMac = deviceMac(deps.hostId, 'vxlan');
  if (!vx) await step('add vxlan', () => linkAdd(r, { kind: 'vxlan', ...want, mac: vxMac, mtu }, ns));
  else {
    if (vx.address !== vxMac) await step('vxlan mac', () => linkSetAddress(r, want.name, vxMac, ns));
    if (vx.mtu !== mtu) await step('vxlan mtu', () => linkSetMtu(r, want.name, mtu, ns));
  }
  if (vx?.master !== OVERLAY_BRIDGE)
    await step('enslave vxlan', () => linkSetMaster(r, want.name, OVERLAY_BRIDGE, ns));
  if (!vx || !linkIsUp(vx)) await step('vxlan up', () => linkSetUp(r, want.name, ns));
  if (!bridge || !linkIsUp(bridge)) await step('bridge up', () => linkSetUp(r, OVERLAY_BRIDGE, ns));

  const addrs = await addrList(r, OVERLAY_BRIDGE, ns);
  for (const a of addrs) {
    // a stale host address of this overlay (same prefix length, not ours); the VIP is a /32 and stays
    if (a.prefixLength === spec.prefixLength && a.ip !== overlayIp)
      await step(`remove stale ${a.ip}`, () => addrDel(r, OVERLAY_BRIDGE, a.ip, a.prefixLength, ns));
  }
  if (!addrs.some((a) => a.ip === overlayIp && a.prefixLength === spec.prefixLength))
    await step('overlay address', () => addrReplace(r, OVERLAY_BRIDGE, overlayIp, spec.prefixLength, ns));

  await deps.memory?.overlayApplied(input);
  return { changed, vxlanDevice: want.name, bridge: OVERLAY_BRIDGE, mac: bridgeMac, mtu };
}

export async function teardown(deps: HostDeps, spec: OverlaySpec): Promise<{ changed: boolean }> {
  const { runner: r, netns: ns } = deps;
  let changed = false;
  for (const name of [vxlanDeviceName(spec.vni), OVERLAY_BRIDGE]) {
    if (await linkByName(r, name, ns)) {
      await linkDel(r, name, ns);
      changed = true;
    }
  }
  await deps.memory?.tornDown(spec);
  return { changed };
}
