// IPv4 address and CIDR math on unsigned 32-bit numbers (no node:net: this runs inside workflows).

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
}

export class CidrError extends Error {
  override name = 'CidrError';
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number {
  const m = IPV4.exec(text);
  if (!m) throw new CidrError(`${text} is not a dotted-quad IPv4 address`);
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    const octet = Number(part);
    if (octet > 255 || (part.length > 1 && part.startsWith('0'))) {
      throw new CidrError(`${text} is not a dotted-quad IPv4 address`);
    }
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export const cidrSize = (c: Ipv4Cidr): number => 2 ** (32 - c.prefix);
export const broadcastOf = (c: Ipv4Cidr): number => c.network + cidrSize(c) - 1;

/** Strict: rejects host bits set ("100.64.192.1/24") instead of silently masking them. */
export function parseCidr(text: string): Ipv4Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new CidrError(`${text} is not a CIDR (missing /prefix)`);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(prefixText)) throw new CidrError(`${text} has an invalid prefix length`);
  const prefix = Number(prefixText);
  if (prefix > 32) throw new CidrError(`${text} has a prefix length over 32`);
  const address = parseIpv4(text.slice(0, slash));
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) {
    const network = formatIpv4(address - (address % size));
    throw new CidrError(`${text} has host bits set (did you mean ${network}/${prefix}?)`);
  }
  return { network: address, prefix };
}

export const cidrContains = (c: Ipv4Cidr, ip: number): boolean => ip >= c.network && ip <= broadcastOf(c);

export const cidrsOverlap = (a: Ipv4Cidr, b: Ipv4Cidr): boolean =>
  a.network <= broadcastOf(b) && b.network <= broadcastOf(a);

/** Usable addresses exclude network and broadcast; the first of them is the cluster VIP. */
export function usableCount(c: Ipv4Cidr): number {
  return c.prefix >= 31 ? 0 : cidrSize(c) - 2;
}

export interface OverlayCheck {
  cidr: string;
  hostCount: number;
  /** Underlay addresses or subnets of the hosts (an address counts as a /32). */
  underlay?: string[];
}

/** Every reason the overlay CIDR cannot serve these hosts; empty when it can. */
export function overlayCidrProblems(check: OverlayCheck): string[] {
  let cidr: Ipv4Cidr;
  try {
    cidr = parseCidr(check.cidr);
  } catch (err) {
    return [(err as Error).message];
  }
  const problems: string[] = [];
  // One usable address is the VIP; every host needs one more.
  const needed = check.hostCount + 1;
  if (usableCount(cidr) < needed) {
    problems.push(
      `${check.cidr} has ${usableCount(cidr)} usable addresses; ${needed} needed (VIP + ${check.hostCount} hosts)`,
    );
  }
  for (const u of check.underlay ?? []) {
    let other: Ipv4Cidr;
    try {
      other = u.includes('/') ? parseCidr(u) : { network: parseIpv4(u), prefix: 32 };
    } catch {
      continue;
    }
    if (cidrsOverlap(cidr, other)) problems.push(`${check.cidr} overlaps the underlay ${u}`);
  }
  return problems;
}

/** The subnet an interface address lies in ("10.213.0.7", 26 → 10.213.0.0/26). */
export function subnetOf(ip: string, prefix: number): Ipv4Cidr {
  const size = 2 ** (32 - prefix);
  const address = parseIpv4(ip);
  return { network: address - (address % size), prefix };
}

export const formatCidr = (c: Ipv4Cidr): string => `${formatIpv4(c.network)}/${c.prefix}`;
