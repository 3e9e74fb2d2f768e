// preflight: can this host carry the overlay? Reports problems instead of throwing, and fixes the one
// thing it may fix (VMXNET3 tunnel offloads, which corrupt VxLAN traffic when left on).
import { VXLAN_UDP_PORT, overlayMtu } from '../../domain/constants.js';
import {
  addrList,
  ethtoolDriver,
  ethtoolFeaturesOff,
  linkAdd,
  linkByName,
  linkDel,
  linkShow,
  sysctlGet,
  udpPortHeldByProcess,
  vxlanData,
} from '../../net/index.js';
import { type MemberUnderlay, underlayOverlapProblems } from '../../domain/underlay-overlap.js';
import type { PreflightInput, PreflightResult } from './contract.js';
import type { HostDeps } from './deps.js';

const VMXNET3_OFFLOADS = ['tx-udp_tnl-segmentation', 'tx-udp_tnl-csum-segmentation'];
const PROBE_DEVICE = 'eo-vxprobe';
/** Smallest overlay MTU we accept (IPv6 minimum, and what Kubernetes CNIs assume as a floor). */
const MIN_OVERLAY_MTU = 1280;

/** vxlan works if a vxlan device exists or one can be created (and is removed again at once). */
async function vxlanSupported(deps: HostDeps): Promise<boolean> {
  const { runner: r, netns: ns } = deps;
  if ((await linkShow(r, undefined, ns)).some((l) => vxlanData(l) !== null)) return true;
  if (await linkByName(r, PROBE_DEVICE, ns)) await linkDel(r, PROBE_DEVICE, ns);
  try {
    await linkAdd(
      r,
      {
        kind: 'vxlan',
        name: PROBE_DEVICE,
        vni: 1,
        port: VXLAN_UDP_PORT,
        dev: deps.underlayIface,
        learning: false,
      },
      ns,
    );
  } catch {
    return false;
  }
  await linkDel(r, PROBE_DEVICE, ns);
  return true;
}

/**
 * The spec's overlay CIDR against what this host sees itself: every subnet on its underlay interface (the
 * kernel's prefix, not the registry's) and the address its broker connection goes to. The registry's view
 * can be stale or partial (an admin registration has no prefix); the host's is the one that routes.
 */
function overlayProblemsOf(
  deps: HostDeps,
  addrs: Array<{ ip: string; prefixLength: number; scope?: string | undefined }>,
  input: PreflightInput | undefined,
): string[] | undefined {
  if (!input?.spec) return undefined;
  const self = (m: Omit<MemberUnderlay, 'hostId'>): MemberUnderlay => ({ hostId: deps.hostId, ...m });
  const members = addrs
    .filter((a) => a.scope !== 'host')
    .map((a) => self({ underlayIp: a.ip, prefixLength: a.prefixLength }));
  const broker = deps.brokerAddress?.();
  if (broker !== undefined) members.push(self({ underlayIp: null, brokerAddress: broker }));
  return underlayOverlapProblems(input.spec.overlayCidr, members);
}

export async function preflight(deps: HostDeps, input?: PreflightInput): Promise<PreflightResult> {
  const { runner: r, netns: ns, underlayIface: iface } = deps;
  const problems: string[] = [];
  const link = await linkByName(r, iface, ns);
  if (!link) problems.push(`underlay interface ${iface} does not exist`);
  const addrs = link ? await addrList(r, iface, ns) : [];
  const underlayIp = addrs.find((a) => a.scope !== 'host')?.ip ?? null;
  if (link && !underlayIp) problems.push(`underlay interface ${iface} has no IPv4 address`);
  const underlayMtu = link?.mtu ?? 0;
  if (link && overlayMtu(underlayMtu) < MIN_OVERLAY_MTU)
    problems.push(
      `underlay MTU ${underlayMtu} leaves overlay MTU ${overlayMtu(underlayMtu)} < ${MIN_OVERLAY_MTU}`,
    );
  const supported = link ? await vxlanSupported(deps) : false;
  if (link && !supported) problems.push('the kernel cannot create vxlan devices');
  const overlayProblems = overlayProblemsOf(deps, addrs, input);
  const udpPortFree = !(await udpPortHeldByProcess(r, VXLAN_UDP_PORT, ns));
  if (!udpPortFree) problems.push(`UDP port ${VXLAN_UDP_PORT} is held by a process`);
  const rpAll = Number((await sysctlGet(r, 'net.ipv4.conf.all.rp_filter', ns)) ?? 0);
  const rpIface = link ? Number((await sysctlGet(r, `net.ipv4.conf.${iface}.rp_filter`, ns)) ?? 0) : 0;
  const driver = link ? await ethtoolDriver(r, iface, ns) : null;
  const offloadsDisabled: string[] = [];
  if (driver === 'vmxnet3') {
    await ethtoolFeaturesOff(r, iface, VMXNET3_OFFLOADS, ns);
    offloadsDisabled.push(...VMXNET3_OFFLOADS);
  }
  return {
    hostId: deps.hostId,
    underlayIface: iface,
    underlayIp,
    underlayMtu,
    vxlanSupported: supported,
    udpPortFree,
    // the kernel applies the larger of `all` and the interface's value
    rpFilter: Math.max(rpAll, rpIface),
    driver,
    offloadsDisabled,
    problems,
    ...(overlayProblems ? { overlayProblems } : {}),
  };
}
