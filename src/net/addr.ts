// Address verbs (netlink AddrReplace/AddrDel/AddrList): each makes one `ip addr` call.
import { z } from 'zod';
import { iface, ipv4Prefix } from './check.js';
import { nsFlag } from './ns.js';
import type { Runner } from './runner.js';

const addrInfoSchema = z.object({
  family: z.string(),
  local: z.string(),
  prefixlen: z.number(),
  scope: z.string().optional(),
});
const addrLinkSchema = z.object({ ifname: z.string(), addr_info: z.array(addrInfoSchema).default([]) });

export interface Ipv4Address {
  ip: string;
  prefixLength: number;
  scope: string | undefined;
}

/** ip [-n NS] -j -4 addr show dev NAME; [] when the device does not exist. */
export async function addrList(r: Runner, dev: string, netns?: string): Promise<Ipv4Address[]> {
  const res = await r.run('ip', [...nsFlag(netns), '-j', '-4', 'addr', 'show', 'dev', iface(dev)], {
    reject: false,
  });
  if (res.exitCode !== 0) return [];
  const links = z.array(addrLinkSchema).parse(JSON.parse(res.stdout || '[]'));
  return links.flatMap((l) =>
    l.addr_info
      .filter((a) => a.family === 'inet')
      .map((a) => ({ ip: a.local, prefixLength: a.prefixlen, scope: a.scope })),
  );
}

/** ip addr replace IP/N dev NAME (a rerun changes nothing) */
export async function addrReplace(
  r: Runner,
  dev: string,
  ip: string,
  prefixLength: number,
  netns?: string,
): Promise<void> {
  await r.run('ip', [...nsFlag(netns), 'addr', 'replace', ipv4Prefix(ip, prefixLength), 'dev', iface(dev)]);
}

/** ip addr del IP/N dev NAME */
export async function addrDel(
  r: Runner,
  dev: string,
  ip: string,
  prefixLength: number,
  netns?: string,
): Promise<void> {
  await r.run('ip', [...nsFlag(netns), 'addr', 'del', ipv4Prefix(ip, prefixLength), 'dev', iface(dev)]);
}
