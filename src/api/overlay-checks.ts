// Semantic checks of an overlay CIDR beyond its syntax (schemas.ts checks that), returning every
// problem with its field name (STYLE 2.7).
import type { HostRecord } from '../domain/types.js';
import type { FieldError } from './problem.js';

const toInt = (ip: string): number => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

interface Net {
  base: number;
  prefix: number;
  size: number;
}

function parse(cidr: string): Net {
  const [ip, p] = cidr.split('/');
  const prefix = Number(p);
  return { base: toInt(ip ?? ''), prefix, size: 2 ** (32 - prefix) };
}

const contains = (net: Net, ip: number) => ip >= net.base && ip < net.base + net.size;

/** Ranges an overlay must not use: they are routed specially by every Linux host. */
const RESERVED: Array<[string, string]> = [
  ['0.0.0.0/8', '"this network"'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];

export function cidrOverlapProblems(cidr: string, hostCount: number, records: HostRecord[]): FieldError[] {
  const field = 'overlayCidr';
  const net = parse(cidr);
  const errors: FieldError[] = [];
  const network = net.base - (net.base % net.size);
  if (network !== net.base) {
    errors.push({ field, message: `host bits are set; the network is ${toIp(network)}/${net.prefix}` });
  }
  const aligned = { ...net, base: network };
  for (const [range, what] of RESERVED) {
    const r = parse(range);
    if (contains(r, aligned.base) || contains(aligned, r.base)) {
      errors.push({ field, message: `overlaps ${what} range ${range}` });
    }
  }
  // Network and broadcast addresses are unusable, and the first usable one is the cluster VIP.
  const capacity = Math.max(0, net.size - 3);
  if (capacity < hostCount) {
    errors.push({
      field,
      message: `/${net.prefix} has room for ${capacity} host(s) besides the VIP; ${hostCount} requested`,
    });
  }
  for (const r of records) {
    if (contains(aligned, toInt(r.underlayIp))) {
      errors.push({ field, message: `contains the underlay address ${r.underlayIp} of host ${r.hostId}` });
    }
  }
  return errors;
}
