// Address verbs (netlink AddrReplace/AddrDel/AddrList): each makes one `ip addr` call.
import { networkInterfaces } from 'node:os';
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

/**
 * The device's IPv4 addresses without running a process when it can: in this process's own namespace
 * (no `netns`) getifaddrs (os.networkInterfaces) answers; a caller driving another namespace (tests) gets
 * addrList. Why: a peer-table apply started five processes (several applies per renumbering), and while
 * every host renumbers at once (DHCP and 20 agents on 2 cores) each spawn held the agent's event loop
 * until the child had exec'd: spawns were the largest part of the agents' busy time in the 20-host lab's
 * CPU profiles, and they delayed the agents' broker reconnects and reports. getifaddrs knows no scope: 127/8 is
 * `host`, everything else `global` (what callers here filter on).
 */
export async function addrListHere(r: Runner, dev: string, netns?: string): Promise<Ipv4Address[]> {
  if (netns !== undefined) return addrList(r, dev, netns);
  return (networkInterfaces()[iface(dev)] ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => ({
      ip: a.address,
      prefixLength: Number(a.cidr?.split('/')[1] ?? 32),
      scope: a.address.startsWith('127.') ? 'host' : 'global',
    }));
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
