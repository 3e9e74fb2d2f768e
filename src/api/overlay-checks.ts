// Semantic checks of an overlay CIDR beyond its syntax (schemas.ts checks that), returning every
// problem with its field name (STYLE 2.7). The CIDR math is the workflow's own (src/domain/cidr.ts),
// so the API never accepts what the workflow would refuse.
import { cidrsOverlap, type Ipv4Cidr, overlayCidrProblems, parseCidr } from '../domain/cidr.js';
import type { HostRecord } from '../domain/types.js';
import { memberUnderlayOf, underlayOverlapProblems } from '../domain/underlay-overlap.js';
import type { FieldError } from './problem.js';

/** Ranges an overlay must not use: every Linux host routes them specially. */
const RESERVED: Array<[string, string]> = [
  ['0.0.0.0/8', '"this network"'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];

export function cidrOverlapProblems(cidr: string, hostCount: number, records: HostRecord[]): FieldError[] {
  const field = 'overlayCidr';
  const errors: FieldError[] = overlayCidrProblems({ cidr, hostCount }).map((message) => ({
    field,
    message,
  }));
  let net: Ipv4Cidr;
  try {
    net = parseCidr(cidr);
  } catch {
    return errors; // already reported above (e.g. host bits set)
  }
  for (const [range, what] of RESERVED) {
    if (cidrsOverlap(net, parseCidr(range)))
      errors.push({ field, message: `overlaps the ${what} range ${range}` });
  }
  // Each member's underlay subnet (address and prefix as its agent reports it) and the control plane's
  // address as it reaches it: the workflow's admission and the host's preflight refuse the same.
  for (const message of underlayOverlapProblems(cidr, records.map(memberUnderlayOf))) {
    errors.push({ field, message });
  }
  return errors;
}
