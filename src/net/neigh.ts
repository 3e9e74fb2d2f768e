// Neighbour (ARP) verbs (netlink NeighDel over a filter = `ip neigh flush`).
// Why: after a peer renumbers, our ARP entry for its OLD underlay address sits INCOMPLETE for ~3 s
// holding queued VxLAN packets; TCP will not retransmit a segment still queued there, so overlay
// connections (etcd) stall until the entry fails. Flushing it frees the queue at once.
import { iface, ipv4 } from './check.js';
import { nsFlag } from './ns.js';
import type { Runner } from './runner.js';

/** The `ip -batch` script: one `neigh flush to IP dev NAME` line per address (validated). */
export function neighFlushBatchScript(dev: string, ips: readonly string[]): string {
  const d = iface(dev);
  return ips.map((ip) => `neigh flush to ${ipv4(ip)} dev ${d}\n`).join('');
}

/**
 * ip [-n NS] -batch - with `neigh flush to IP dev NAME` per address: every address in ONE process.
 * Drops non-permanent entries in any state (INCOMPLETE, FAILED, STALE, REACHABLE...); an address
 * with no entry is not an error (exit 0), so a rerun changes nothing.
 */
export async function neighFlushTo(
  r: Runner,
  dev: string,
  ips: readonly string[],
  netns?: string,
): Promise<void> {
  if (ips.length === 0) return;
  const script = neighFlushBatchScript(dev, [...new Set(ips)]);
  await r.run('ip', [...nsFlag(netns), '-batch', '-'], { input: script });
}
