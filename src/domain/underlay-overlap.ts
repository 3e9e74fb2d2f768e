// Where an overlay CIDR may not go, given the members' underlay as their agents report it: not into a
// member's underlay SUBNET (the host would route its own L2 neighbours, DHCP server and gateway into the
// overlay) and not over the address the host reaches the control plane at (it would lose the control plane
// the moment the overlay IP lands on scbr-100: issue 14, point 2). Pure: used by the API, the cluster
// workflow's admission and the host's preflight, so all three refuse the same thing with the same words.
import {
  cidrContains,
  cidrsOverlap,
  formatCidr,
  type Ipv4Cidr,
  parseCidr,
  parseIpv4,
  subnetOf,
} from './cidr.js';

/** One member's underlay as the registry knows it (host record) or the host sees it (preflight). */
export interface MemberUnderlay {
  hostId: string;
  underlayIp: string | null;
  /** Prefix length of the underlay subnet; unknown (an old agent, an admin registration): the address alone. */
  prefixLength?: number | undefined;
  /** The control plane's (broker's) address as this host reaches it. */
  brokerAddress?: string | undefined;
}

/** A host record's underlay as the checks read it (fields its agent never reported stay unknown). */
export function memberUnderlayOf(r: {
  hostId: string;
  underlayIp: string;
  prefixLength?: number | undefined;
  brokerAddress?: string | undefined;
}): MemberUnderlay {
  return {
    hostId: r.hostId,
    underlayIp: r.underlayIp,
    ...(r.prefixLength !== undefined ? { prefixLength: r.prefixLength } : {}),
    ...(r.brokerAddress !== undefined ? { brokerAddress: r.brokerAddress } : {}),
  };
}

const MAX_NAMES = 5;
const names = (ids: string[]): string =>
  ids.length > MAX_NAMES
    ? `${ids.slice(0, MAX_NAMES).join(', ')} and ${ids.length - MAX_NAMES} more`
    : ids.join(', ');
const hostWord = (ids: string[]) => (ids.length === 1 ? 'host' : 'hosts');

/** The underlay a member occupies: its subnet, or its address as a /32 when the prefix is unknown. */
export function memberSubnet(m: MemberUnderlay): Ipv4Cidr | null {
  if (m.underlayIp === null) return null;
  try {
    return m.prefixLength === undefined ? subnetOf(m.underlayIp, 32) : subnetOf(m.underlayIp, m.prefixLength);
  } catch {
    return null;
  }
}

const parseOrNull = (cidr: string): Ipv4Cidr | null => {
  try {
    return parseCidr(cidr);
  } catch {
    return null;
  }
};

/**
 * Every way the overlay CIDR collides with the members' underlay, one message per subnet or address
 * (members on one subnet are named together); empty when none. An unparsable CIDR gives none (its syntax
 * is reported elsewhere).
 */
export function underlayOverlapProblems(cidr: string, members: readonly MemberUnderlay[]): string[] {
  const overlay = parseOrNull(cidr);
  if (!overlay) return [];
  const bySubnet = new Map<string, string[]>();
  const byBroker = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, hostId: string) => {
    const list = map.get(key) ?? [];
    if (!list.includes(hostId)) list.push(hostId);
    map.set(key, list);
  };
  for (const m of members) {
    const subnet = memberSubnet(m);
    if (subnet && cidrsOverlap(overlay, subnet)) {
      add(bySubnet, m.prefixLength === undefined ? `${m.underlayIp}` : formatCidr(subnet), m.hostId);
    }
    if (m.brokerAddress !== undefined && containsAddress(overlay, m.brokerAddress)) {
      add(byBroker, m.brokerAddress, m.hostId);
    }
  }
  const problems: string[] = [];
  for (const [where, ids] of bySubnet) {
    const what = where.includes('/') ? 'underlay subnet' : 'underlay address';
    problems.push(`${cidr} overlaps the ${what} ${where} of ${hostWord(ids)} ${names(ids)}`);
  }
  for (const [address, ids] of byBroker) {
    problems.push(
      `${cidr} contains the control plane's address ${address} as ${hostWord(ids)} ${names(ids)} reach${ids.length === 1 ? 'es' : ''} it (the overlay would cut the host off from the control plane)`,
    );
  }
  return problems;
}

function containsAddress(c: Ipv4Cidr, ip: string): boolean {
  try {
    return cidrContains(c, parseIpv4(ip));
  } catch {
    return false;
  }
}

/**
 * Two groups of hosts share an underlay L2 when one member's reported subnet holds the other's address
 * (either way). A host whose prefix is unknown (an admin registration, an old agent) spans no subnet here:
 * equal private addresses alone are common across sites behind NAT and prove nothing. Returns the first
 * such pair, or null.
 */
export function sharedUnderlay(
  a: readonly MemberUnderlay[],
  b: readonly MemberUnderlay[],
): { ours: MemberUnderlay; theirs: MemberUnderlay } | null {
  const within = (holder: MemberUnderlay, other: MemberUnderlay) => {
    const subnet = holder.prefixLength === undefined ? null : memberSubnet(holder);
    return subnet !== null && other.underlayIp !== null && containsAddress(subnet, other.underlayIp);
  };
  for (const ours of a) {
    for (const theirs of b) if (within(ours, theirs) || within(theirs, ours)) return { ours, theirs };
  }
  return null;
}
