// Overlay IP allocation. VIP = first usable address; hosts get the following ones. Allocations never move,
// and an address a host leaves is retired for this cluster generation (given back only to that host).
import { type Ipv4Cidr, formatIpv4, parseCidr, parseIpv4, usableCount } from './cidr.js';

export interface IpamState {
  cidr: string;
  vip: string;
  /** hostId → overlay IP of every current member. */
  allocations: Record<string, string>;
  /** hostId → overlay IP of hosts that left: never handed to another host. */
  retired: Record<string, string>;
}

export class IpamExhaustedError extends Error {
  override name = 'IpamExhaustedError';
}

export function createIpam(cidrText: string): IpamState {
  const cidr = parseCidr(cidrText);
  if (usableCount(cidr) < 2) throw new IpamExhaustedError(`${cidrText} cannot hold a VIP and one host`);
  return { cidr: cidrText, vip: formatIpv4(cidr.network + 1), allocations: {}, retired: {} };
}

/** Assigns addresses to new hosts in hostId order (so the outcome does not depend on request order);
 * existing members keep theirs. Pure: returns a new state. */
export function allocate(state: IpamState, hostIds: readonly string[]): IpamState {
  const cidr: Ipv4Cidr = parseCidr(state.cidr);
  const allocations = { ...state.allocations };
  const retired = { ...state.retired };
  const taken = new Set<number>([parseIpv4(state.vip)]);
  for (const ip of [...Object.values(allocations), ...Object.values(retired)]) taken.add(parseIpv4(ip));
  const fresh = [...new Set(hostIds)].filter((id) => allocations[id] === undefined).sort();
  const lastUsable = cidr.network + usableCount(cidr);
  let cursor = cidr.network + 2;
  for (const hostId of fresh) {
    const previous = retired[hostId];
    if (previous !== undefined) {
      allocations[hostId] = previous;
      delete retired[hostId];
      continue;
    }
    while (cursor <= lastUsable && taken.has(cursor)) cursor++;
    if (cursor > lastUsable) throw new IpamExhaustedError(`${state.cidr} has no free address for ${hostId}`);
    allocations[hostId] = formatIpv4(cursor);
    taken.add(cursor);
  }
  return { ...state, allocations, retired };
}

export function release(state: IpamState, hostId: string): IpamState {
  const ip = state.allocations[hostId];
  if (ip === undefined) return state;
  const allocations = { ...state.allocations };
  delete allocations[hostId];
  return { ...state, allocations, retired: { ...state.retired, [hostId]: ip } };
}

/** Free addresses left for new hosts. */
export function freeCount(state: IpamState): number {
  const used = 1 + Object.keys(state.allocations).length + Object.keys(state.retired).length;
  return usableCount(parseCidr(state.cidr)) - used;
}
