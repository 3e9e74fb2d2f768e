// What the site VIP hook derives from a setPeers call, without I/O: which policy wins (newer
// policyVersion; a redelivered older push never replaces a newer one), whether this host takes part
// (a voter; a voter that is not eligible still votes, it just never holds), and the voters' keys its
// adverts are verified with.
import type { VipPolicyInput } from '../vip/policy.js';
import type { SiteVipPolicy } from '../../domain/site-vip.js';
import type { OverlaySpec, Peer } from '../../domain/types.js';

/** The newer of the stored and the pushed policy; equal versions: the pushed one (the control plane's). */
export function newerPolicy(stored: SiteVipPolicy | null | undefined, pushed: SiteVipPolicy): SiteVipPolicy {
  return stored && stored.policyVersion > pushed.policyVersion ? stored : pushed;
}

export const samePolicy = (a: SiteVipPolicy | null | undefined, b: SiteVipPolicy): boolean =>
  a != null && JSON.stringify(a) === JSON.stringify(b);

/** The elector's policy: the site policy plus the cluster and the VIP of the spec it runs for. */
export const electorPolicy = (spec: OverlaySpec, policy: SiteVipPolicy): VipPolicyInput => ({
  ...policy,
  clusterName: spec.clusterName,
  vip: spec.vip,
});

export interface VoterKeys {
  keys: Array<[string, string]>;
  /** Voters the table gives no public key for: their adverts are refused until one comes. */
  missing: string[];
}

/** The other voters' public keys (Peer.publicKey, SPKI DER base64) from the peer table. */
export function voterKeys(hostId: string, policy: SiteVipPolicy, peers: readonly Peer[]): VoterKeys {
  const byId = new Map(peers.map((p) => [p.hostId, p.publicKey] as const));
  const keys: Array<[string, string]> = [];
  const missing: string[] = [];
  for (const v of policy.voters) {
    if (v === hostId) continue;
    const key = byId.get(v);
    if (key) keys.push([v, key]);
    else missing.push(v);
  }
  return { keys, missing };
}
