// Link verbs, named after netlink (LinkAdd, LinkDel, LinkSetUp...): each makes one `ip link` call.
import { z } from 'zod';
import { MAX_VNI } from '../domain/constants.js';
import { int, iface, ipv4, mac } from './check.js';
import { nsFlag, netnsNameSchema } from './ns.js';
import { CommandError, type Runner } from './runner.js';

const vxlanDataSchema = z.object({
  id: z.number(),
  port: z.number().optional(),
  link: z.string().optional(),
  group: z.string().optional(),
  local: z.string().optional(),
  learning: z.boolean().optional(),
  ageing: z.number().optional(),
});

export const linkSchema = z.object({
  ifindex: z.number(),
  ifname: z.string(),
  flags: z.array(z.string()).default([]),
  mtu: z.number(),
  operstate: z.string().optional(),
  address: z.string().optional(),
  master: z.string().optional(),
  linkinfo: z
    .object({
      info_kind: z.string().optional(),
      info_data: z.unknown().optional(),
    })
    .optional(),
});
export type Link = z.infer<typeof linkSchema>;
export type VxlanData = z.infer<typeof vxlanDataSchema>;

/** The vxlan part of `ip -d` output, or null when the link is not a vxlan device. */
export function vxlanData(link: Link): VxlanData | null {
  if (link.linkinfo?.info_kind !== 'vxlan') return null;
  return vxlanDataSchema.parse(link.linkinfo.info_data ?? {});
}

export const linkIsUp = (link: Link): boolean => link.flags.includes('UP');

/** ip [-n NS] -j -d link show [dev NAME] */
export async function linkShow(r: Runner, name?: string, netns?: string): Promise<Link[]> {
  const args = [...nsFlag(netns), '-j', '-d', 'link', 'show', ...(name ? ['dev', iface(name)] : [])];
  const { stdout } = await r.run('ip', args);
  return z.array(linkSchema).parse(JSON.parse(stdout || '[]'));
}

/** ip [-n NS] -j -d link show dev NAME, null when the device does not exist. */
export async function linkByName(r: Runner, name: string, netns?: string): Promise<Link | null> {
  const args = [...nsFlag(netns), '-j', '-d', 'link', 'show', 'dev', iface(name)];
  const res = await r.run('ip', args, { reject: false });
  if (res.exitCode !== 0) {
    if (/does not exist|Cannot find device/i.test(res.stderr)) return null;
    throw new CommandError(['ip', ...args], res.exitCode, res.stderr);
  }
  return z.array(linkSchema).parse(JSON.parse(res.stdout || '[]'))[0] ?? null;
}

export type LinkAddSpec =
  | { kind: 'bridge'; name: string; mac?: string; mtu?: number }
  | {
      kind: 'vxlan';
      name: string;
      vni: number;
      port: number;
      dev: string;
      group?: string;
      local?: string;
      learning: boolean;
      mac?: string;
      mtu?: number;
    }
  | { kind: 'veth'; name: string; peer: string; peerNetns?: string; mac?: string };

/** ip link add NAME [address MAC] [mtu N] type bridge|vxlan (id dstport dev [group] [local] [nolearning])|veth peer name P [netns NS] */
export async function linkAdd(r: Runner, spec: LinkAddSpec, netns?: string): Promise<void> {
  const args = [...nsFlag(netns), 'link', 'add', iface(spec.name)];
  if (spec.mac) args.push('address', mac(spec.mac));
  if ('mtu' in spec && spec.mtu !== undefined) args.push('mtu', int(spec.mtu, 68, 65535));
  if (spec.kind === 'bridge') args.push('type', 'bridge');
  if (spec.kind === 'vxlan') {
    args.push('type', 'vxlan', 'id', int(spec.vni, 1, MAX_VNI), 'dstport', int(spec.port, 1, 65535));
    args.push('dev', iface(spec.dev));
    if (spec.group) args.push('group', ipv4(spec.group));
    if (spec.local) args.push('local', ipv4(spec.local));
    if (!spec.learning) args.push('nolearning');
  }
  if (spec.kind === 'veth') {
    args.push('type', 'veth', 'peer', 'name', iface(spec.peer));
    if (spec.peerNetns) args.push('netns', netnsNameSchema.parse(spec.peerNetns));
  }
  await r.run('ip', args);
}

/** ip link del dev NAME */
export async function linkDel(r: Runner, name: string, netns?: string): Promise<void> {
  await r.run('ip', [...nsFlag(netns), 'link', 'del', 'dev', iface(name)]);
}

/** ip link set dev NAME up */
export async function linkSetUp(r: Runner, name: string, netns?: string): Promise<void> {
  await r.run('ip', [...nsFlag(netns), 'link', 'set', 'dev', iface(name), 'up']);
}

/** ip link set dev NAME master MASTER */
export async function linkSetMaster(r: Runner, name: string, master: string, netns?: string): Promise<void> {
  await r.run('ip', [...nsFlag(netns), 'link', 'set', 'dev', iface(name), 'master', iface(master)]);
}

/** ip link set dev NAME mtu N */
export async function linkSetMtu(r: Runner, name: string, mtu: number, netns?: string): Promise<void> {
  await r.run('ip', [...nsFlag(netns), 'link', 'set', 'dev', iface(name), 'mtu', int(mtu, 68, 65535)]);
}

/** ip link set dev NAME address MAC */
export async function linkSetAddress(
  r: Runner,
  name: string,
  address: string,
  netns?: string,
): Promise<void> {
  await r.run('ip', [...nsFlag(netns), 'link', 'set', 'dev', iface(name), 'address', mac(address)]);
}
